import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../../store/schema.ts';
import type { CoreContext } from '../../context.ts';
import { policyApproval } from '../../approvals.ts';
import { approvalRuleFor, policyOf } from '../../policy.ts';
import { decisionsFor } from '../../../store/repositories/decisions.ts';
import type { StoredRelease } from '../../../store/repositories/releases.ts';
import { checkSlot, nextAllowedSlot, type SlotCheck } from '../../windows.ts';

/** Whether the release is still authorised: enough approvals of its current revision, none lapsed. */
export async function authorisation(ctx: CoreContext, db: Kysely<DB> | Transaction<DB>, release: StoredRelease, now: Date): Promise<{ ok: boolean; reason?: string; approvers: string[] }> {
  const policy = policyOf(ctx.settings, release.service);
  const rule = approvalRuleFor(policy, release.type);
  const status = policyApproval(policy.approvalSource, await decisionsFor(db, release.id, release.revision), release.revision, rule.required, now, policy.approvalExpiresAfterMs);
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
