import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../../store/schema.ts';
import type { CoreContext } from '../../context.ts';
import { policyApproval, type Decision } from '../../approvals.ts';
import { approvalRuleFor } from '../../policy.ts';
import { policyOf } from '../../settings.ts';
import { decisionsFor } from '../../../store/repositories/decisions.ts';
import { checkSlot, nextAllowedSlot, type SlotCheck } from '../../windows.ts';
import { effectiveRisk, type StoredRelease } from '../../release.ts';
import { wavesOf } from '../../rollout.ts';
import { touchesSame } from '../../conflicts.ts';
import { locksHolding, type DeployLock } from '../../locks.ts';
import { rolloutsWaitingToStart, type CalendarRelease } from '../../../store/repositories/releases.ts';
import type { OutboxMessage } from '../../effect.ts';
import { wakeEffect } from './effects.ts';

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
  const rule = approvalRuleFor(policy, release.type, effectiveRisk(release));
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

/** Every target a release's waves touch. */
export function releaseTargets(ctx: CoreContext, release: Pick<StoredRelease, 'deploymentModel' | 'waves'>): string[] {
  try {
    return [...new Set(wavesOf(ctx.settings, release).flatMap((w) => w.targets))];
  } catch {
    return [];
  }
}

export interface LockDecision {
  /** The locks in force that hold this wave. */
  held: DeployLock[];
  /** The release's approval rule lets it pass them (an emergency, where the policy says so). */
  passes: boolean;
}

/** The deploy locks that hold a wave on `targets` now, and whether this release may pass them. */
export function lockDecision(ctx: CoreContext, release: StoredRelease, targets: string[], locks: readonly DeployLock[]): LockDecision {
  const held = locksHolding(locks, release.service, targets);
  const passes = held.length > 0 && (policyOf(ctx.settings, release.service).approvals[release.type]?.passesLocks ?? false);
  return { held, passes };
}

/**
 * The rollouts under way that this release's start must wait for: on its service or sharing one of its
 * targets. A release manager's `start --force` passes them.
 */
export function blockingRollouts(ctx: CoreContext, release: StoredRelease, underWay: readonly CalendarRelease[]): CalendarRelease[] {
  if (policyOf(ctx.settings, release.service).conflicts === 'warn') return [];
  const mine = { service: release.service, targets: releaseTargets(ctx, release) };
  return underWay.filter((other) => other.id !== release.id && touchesSame(mine, { service: other.service, targets: releaseTargets(ctx, other) }));
}

/** Wake-ups for the rollouts waiting to start that `ended` (now finished, aborted or rolled back) was holding. */
export async function wakeWaitingFor(ctx: CoreContext, db: Kysely<DB> | Transaction<DB>, ended: StoredRelease, now: Date): Promise<OutboxMessage[]> {
  const mine = { service: ended.service, targets: releaseTargets(ctx, ended) };
  const waiting = await rolloutsWaitingToStart(db);
  return waiting
    .filter((w) => w.id !== ended.id && touchesSame(mine, { service: w.service, targets: releaseTargets(ctx, w) }))
    .map((w) => ({ ...wakeEffect(w.id, now), dedupeKey: `wake:${w.id}:after:${ended.id}:${now.getTime()}` }));
}
