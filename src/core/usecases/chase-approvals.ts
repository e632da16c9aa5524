import type { CoreContext } from '../context.ts';
import type { OutboxMessage } from '../effect.ts';
import { policyOf } from '../settings.ts';
import { awaitingApproval } from '../../store/repositories/releases.ts';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';

/** Reminders go at remind_after, then twice and four times it: three at the most. */
export const REMINDER_ROUNDS = [1, 2, 4] as const;

/**
 * The reminders and the escalation due for one request, by how long it has waited: only the latest
 * round of reminders is due (a relm that was down for a day sends one, not three), each keyed by the
 * release, revision and round so it is sent once.
 */
export function chasesDue(release: { id: number; revision: number; requestedAt: Date }, policy: { remindAfterMs: number | null; escalateAfterMs: number | null }, now: Date): OutboxMessage[] {
  const waited = now.getTime() - release.requestedAt.getTime();
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
  const ids = await enqueueOutbox(ctx.db, messages, now);
  await ctx.effects.dispatch(ids);
  return ids.length;
}
