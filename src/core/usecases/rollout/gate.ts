import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../../store/schema.ts';
import type { CoreContext } from '../../context.ts';
import { policyApproval, type Decision } from '../../approvals.ts';
import { approvalRuleFor } from '../../policy.ts';
import { policyOf } from '../../settings.ts';
import { decisionsFor } from '../../../store/repositories/decisions.ts';
import { checkSlot, nextAllowedSlot, type SlotCheck } from '../../windows.ts';
import type { StoredRelease } from '../../release.ts';

/** Whether the release is still authorised: enough approvals of its current revision, none lapsed. */
export async function authorisation(ctx: CoreContext, db: Kysely<DB> | Transaction<DB>, release: StoredRelease, now: Date): Promise<Authorisation> {
  return authorisationFrom(ctx, release, await decisionsFor(db, release.id, release.revision), now);
}

export interface Authorisation {
  ok: boolean;
  reason?: string;
  approvers: string[];
}

/** The same judgement from decisions already read (any revision; only the current one counts). */
export function authorisationFrom(ctx: CoreContext, release: StoredRelease, decisions: Decision[], now: Date): Authorisation {
  const policy = policyOf(ctx.settings, release.service);
  const rule = approvalRuleFor(policy, release.type);
  const current = decisions.filter((d) => d.revision === release.revision);
  const status = policyApproval(policy.approvalSource, current, release.revision, rule.required, now, policy.approvalExpiresAfterMs);
  if (status.quorum) return { ok: true, approvers: status.valid.map((d) => d.approver) };
  const reason = policy.approvalSource !== 'slack' && !status.jira
    ? 'the change ticket is not approved in Jira'
    : status.expired.length
    ? `approvals expired (${status.valid.length} of ${rule.required} still valid)`
    : `only ${status.valid.length} of ${rule.required} approvals for revision ${release.revision}`;
  return { ok: false, reason, approvers: status.valid.map((d) => d.approver) };
}

export interface SlotDecision {
  check: SlotCheck;
  bypassed: boolean;
  next?: Date;
}

/**
 * The change calendar at the moment a step would start. Emergencies whose rule says bypass_freeze go
 * ahead in a freeze or outside the windows; the caller records that they did.
 */
export function slotFor(ctx: CoreContext, release: StoredRelease, now: Date): SlotDecision {
  const policy = policyOf(ctx.settings, release.service);
  const bypass = policy.approvals[release.type]?.bypassFreeze ?? false;
  const check = checkSlot(policy.calendar, now);
  if (check.allowed) return { check, bypassed: false };
  if (bypass) return { check, bypassed: true };
  return { check, bypassed: false, next: nextAllowedSlot(policy.calendar, now) };
}
