import type { CoreContext } from '../context.ts';
import type { OutboxMessage } from '../effect.ts';
import { policyOf } from '../settings.ts';
import { authorisedNotStarted, awaitingApproval } from '../../store/repositories/releases.ts';
import { decisionsFor } from '../../store/repositories/decisions.ts';
import { approvalRuleFor, type Policy } from '../policy.ts';
import { policyApproval } from '../approvals.ts';
import { timeWithin } from '../windows.ts';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';

/** Reminders go at remind_after, then twice and four times it: three at the most. */
export const REMINDER_ROUNDS = [1, 2, 4] as const;

/**
 * The reminders and the escalation due for one request, by how long it has waited: only the latest
 * round of reminders is due (a relm that was down for a day sends one, not three), each keyed by the
 * release, revision and round so it is sent once.
 */
export function chasesDue(
  release: { id: number; revision: number; requestedAt: Date },
  policy: Pick<Policy, 'remindAfterMs' | 'escalateAfterMs' | 'workingHours'> & { calendar: { timezone: string } },
  now: Date,
): OutboxMessage[] {
  // Counted in the policy's working hours where it has them: a Friday-evening request is not chased on Sunday.
  const waited = timeWithin(policy.workingHours, policy.calendar.timezone, release.requestedAt, now);
  const due: OutboxMessage[] = [];
  const base = { releaseId: release.id, revision: release.revision };
  if (policy.remindAfterMs) {
    const round = [...REMINDER_ROUNDS].reverse().find((k) => waited >= k * policy.remindAfterMs!);
    if (round) due.push({ kind: 'approval_reminder', releaseId: release.id, dedupeKey: `approval:remind:${release.id}:${release.revision}:${round}`, payload: { ...base, round } });
  }
  if (policy.escalateAfterMs && waited >= policy.escalateAfterMs) {
    due.push({ kind: 'approval_escalation', releaseId: release.id, dedupeKey: `approval:escalate:${release.id}:${release.revision}`, payload: base });
  }
  return due;
}

/**
 * Chases undecided approval requests (run by the minute sweep): a reminder in the request's thread to
 * those who have not decided, and a DM to the release managers when it has waited too long. A
 * decision, an edit or a cancel stops it: the effect finds the request no longer open and does nothing.
 */
export async function chaseApprovals(ctx: CoreContext): Promise<number> {
  const now = ctx.clock();
  const messages = (await awaitingApproval(ctx.db)).flatMap((release) => {
    try {
      return chasesDue(release, policyOf(ctx.settings, release.service), now);
    } catch {
      return []; // a service no longer in relm.yml
    }
  });
  messages.push(...(await expiryWarningsDue(ctx, now)));
  const ids = await enqueueOutbox(ctx.db, messages, now);
  await ctx.effects.dispatch(ids);
  return ids.length;
}

/** How long before its approvals lapse an authorised release is warned: a day, or a quarter of the validity if shorter. */
export function expiryWarningLead(expiresAfterMs: number): number {
  return Math.min(24 * 3_600_000, expiresAfterMs / 4);
}

/**
 * An authorised release whose approvals lapse before it starts is warned once, in its card's thread,
 * while there is still time to start it or approve it again.
 */
async function expiryWarningsDue(ctx: CoreContext, now: Date): Promise<OutboxMessage[]> {
  const due: OutboxMessage[] = [];
  for (const release of await authorisedNotStarted(ctx.db)) {
    let policy: Policy;
    try {
      policy = policyOf(ctx.settings, release.service);
    } catch {
      continue;
    }
    if (!policy.approvalExpiresAfterMs || !policy.approvals[release.type]) continue;
    const status = policyApproval(policy.approvalSource, await decisionsFor(ctx.db, release.id, release.revision), release.revision, approvalRuleFor(policy, release.type).required, now, policy.approvalExpiresAfterMs);
    const until = status.validUntil;
    if (!until || now >= until || now.getTime() < until.getTime() - expiryWarningLead(policy.approvalExpiresAfterMs)) continue;
    if (release.plannedStart && release.plannedStart < until) continue;
    due.push({ kind: 'approval_expiry_warning', releaseId: release.id, dedupeKey: `approval:expiry:${release.id}:${release.revision}`, payload: { releaseId: release.id, revision: release.revision, until: until.toISOString() } });
  }
  return due;
}
