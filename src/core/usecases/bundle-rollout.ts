import type { Transaction } from 'kysely';
import type { DB } from '../../store/schema.ts';
import type { CoreContext } from '../context.ts';
import type { OutboxMessage } from '../effect.ts';
import { DomainError } from '../errors.ts';
import { bundleRun, holdsBundle, nextMember, progressOf, rollbackOrder, type BundleMemberProgress, type MemberRollout } from '../bundles.ts';
import { releaseKey } from '../release.ts';
import { whoMark } from '../text.ts';
import { appendAuditEntries } from '../../store/repositories/audit.ts';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';
import { findBundle, lockMembersOf, markPassed, memberRollouts, updateBundleIf, type StoredBundle } from '../../store/repositories/bundles.ts';
import { isReleaseManager } from './access.ts';
import { changeTransaction } from './record-change.ts';
import { abortSpec, controlIn, retryWave, rollbackSpec } from './rollout/control.ts';
import { wakeEffect } from './rollout/effects.ts';
import { bundleCardEffect, bundleSyncEffect, bundleTicketEffects } from './bundle-sync-effect.ts';

/**
 * A bundle's rollout: its members roll out one after another in their order, each with its own waves,
 * windows and deployer. A failed member holds the bundle until someone retries it, goes past it
 * (`continue`) or rolls the bundle back, which rolls back the started members, the last started first.
 * The members' own rollouts do the work; the bundle only decides which member moves next.
 */

async function lockBundle(trx: Transaction<DB>, id: number): Promise<StoredBundle> {
  const bundle = await findBundle(trx, id, { lock: true });
  if (!bundle) throw new DomainError('not_found', `BUN-${id} does not exist. Start one with \`/release bundle new "<name>"\`.`);
  return bundle;
}

/** The bundle's creator, its members' owners and the release managers control its rollout. */
function assertMayControlBundle(ctx: CoreContext, bundle: StoredBundle, members: MemberRollout[], actor: string, what: string): void {
  if (isReleaseManager(ctx.settings, actor) || bundle.createdBy === actor || members.some((m) => m.requester === actor)) return;
  throw new DomainError('not_authorised', `Only ${whoMark(bundle.createdBy)}, the owners of its releases or a release manager can ${what} BUN-${bundle.id}.`);
}

async function audit(trx: Transaction<DB>, members: MemberRollout[], actor: string, action: string, after: Record<string, unknown>, at: Date): Promise<void> {
  // The bundle's decisions are in each member's audit chain, where the release's history is read.
  await appendAuditEntries(trx, members.map((m) => ({ releaseId: m.releaseId, actor, action, after, at })));
}

type Step = (trx: Transaction<DB>, bundle: StoredBundle, members: MemberRollout[], progress: BundleMemberProgress[], now: Date) => Promise<OutboxMessage[] | number[]>;

/** Runs a bundle change under the bundle's row lock; effects enqueued in it are dispatched after commit. */
async function underBundle(ctx: CoreContext, id: number, body: Step): Promise<StoredBundle> {
  const now = ctx.clock();
  const result = await changeTransaction(ctx, async (trx) => {
    await lockMembersOf(trx, id);
    const bundle = await lockBundle(trx, id);
    const members = await memberRollouts(trx, bundle.id);
    const produced = await body(trx, bundle, members, progressOf(members), now);
    const ids = produced.length && typeof produced[0] === 'number' ? (produced as number[]) : await enqueueOutbox(trx, produced as OutboxMessage[], now);
    return { outbox: ids, bundle: (await findBundle(trx, bundle.id))! };
  });
  await ctx.effects.dispatch(result.outbox);
  return result.bundle;
}

/** `bundle start BUN-n`: an approved bundle starts now; its first member's own windows and locks still apply. */
export function startBundle(ctx: CoreContext, actor: string, id: number): Promise<StoredBundle> {
  return underBundle(ctx, id, async (trx, bundle, members, _progress, now) => {
    assertMayControlBundle(ctx, bundle, members, actor, 'start');
    if (bundle.state === 'open') throw new DomainError('illegal_transition', `BUN-${bundle.id} is not approved yet: \`/release bundle approve BUN-${bundle.id}\` by its approvers first.`);
    if (bundle.state !== 'approved') throw new DomainError('illegal_transition', `BUN-${bundle.id} is ${bundle.state.replace('_', ' ')}; only an approved bundle can be started.`);
    await updateBundleIf(trx, bundle.id, 'approved', { state: 'in_progress', started_at: now, rollout_note: null });
    await audit(trx, members, actor, 'bundle_started', { bundle: bundle.id }, now);
    return [bundleSyncEffect(bundle.id, 'started', now), bundleCardEffect(bundle.id, 'started', now)];
  });
}

/**
 * Looks at the members again and moves the bundle on: starts the next member in its turn, holds the
 * bundle on a failed member, rolls back the next started member in reverse order, or finishes. Run after
 * anything a member does that matters to the bundle; idempotent, under the bundle's row lock.
 */
export function syncBundle(ctx: CoreContext, id: number): Promise<StoredBundle> {
  return underBundle(ctx, id, async (trx, bundle, members, progress, now) => {
    const effects: OutboxMessage[] = [];
    const card = () => effects.push(bundleCardEffect(bundle.id, `sync-${bundle.state}`, now), ...bundleTicketEffects(Boolean(ctx.jira), bundle.id, `sync-${bundle.state}`, now));
    if (bundle.state === 'rolling_back') {
      if (progress.some((m) => m.progress === 'rolling_back')) return [];
      const next = rollbackOrder(progress).find((memberId) => progress.find((m) => m.releaseId === memberId)!.progress !== 'rolled_back');
      if (next === undefined) {
        await updateBundleIf(trx, bundle.id, 'rolling_back', { state: 'rolled_back', finished_at: now, rollout_note: null });
        await audit(trx, members, 'relm', 'bundle_rolled_back', { bundle: bundle.id }, now);
        card();
        return effects;
      }
      // The member is moved in this transaction, under the bundle's lock, so two syncs cannot both ask.
      const moved = await controlIn(ctx, trx, 'relm', next, rollbackSpec(`BUN-${bundle.id} is being rolled back`), now, { system: true });
      card();
      return [...moved.outbox, ...(await enqueueOutbox(trx, effects, now))];
    }
    if (!['approved', 'in_progress', 'paused'].includes(bundle.state)) return [];
    const run = bundleRun(progress);
    if (bundle.state === 'approved') {
      if (run === 'waiting') {
        // Approved with a start time: the first member is woken then (the member checks the time again).
        if (bundle.plannedStart && bundle.plannedStart > now) return [bundleSyncEffect(bundle.id, 'due', bundle.plannedStart, bundle.plannedStart)];
        if (!bundle.plannedStart) return [];
      }
      await updateBundleIf(trx, bundle.id, 'approved', { state: 'in_progress', started_at: now });
      await audit(trx, members, 'relm', 'bundle_started', { bundle: bundle.id, at: bundle.plannedStart?.toISOString() ?? null }, now);
      bundle = { ...bundle, state: 'in_progress' };
      card();
    }
    if (run === 'held') {
      const failed = members.find((m) => holdsBundle(progress.find((p) => p.releaseId === m.releaseId)!))!;
      const what = failed.state === 'rolled_back' ? 'was rolled back on its own: continue with the next release, or roll the bundle back' : 'failed: retry it, continue with the next release, or roll the bundle back';
      const note = `${releaseKey(failed.releaseId)} (${failed.service} ${failed.version}) ${what}.`;
      if (bundle.state !== 'paused') {
        await updateBundleIf(trx, bundle.id, bundle.state, { state: 'paused', rollout_note: note });
        await audit(trx, members, 'relm', 'bundle_paused', { bundle: bundle.id, failed: failed.releaseId }, now);
        card();
      }
      return effects;
    }
    if (bundle.state === 'paused') {
      await updateBundleIf(trx, bundle.id, 'paused', { state: 'in_progress', rollout_note: null });
      card();
    }
    if (run === 'completed') {
      await updateBundleIf(trx, bundle.id, 'in_progress', { state: 'completed', finished_at: now, rollout_note: null });
      await audit(trx, members, 'relm', 'bundle_completed', { bundle: bundle.id }, now);
      card();
      return effects;
    }
    const next = nextMember(progress);
    if (next !== null) effects.push(wakeEffect(next, now));
    return effects;
  });
}

function failedMember(bundle: StoredBundle, members: MemberRollout[], progress: BundleMemberProgress[]): MemberRollout {
  const failed = members.find((m) => holdsBundle(progress.find((p) => p.releaseId === m.releaseId)!));
  if (bundle.state !== 'paused' || !failed) throw new DomainError('illegal_transition', `BUN-${bundle.id} is ${bundle.state.replace('_', ' ')}; retry and continue are for a bundle paused by a failed release.`);
  return failed;
}

/** `bundle retry BUN-n`: runs the failed member's failed wave again; the bundle goes on when it succeeds. */
export async function retryBundle(ctx: CoreContext, actor: string, id: number): Promise<StoredBundle> {
  const { failed } = await checkControl(ctx, actor, id, 'retry');
  if (failed.state !== 'paused') throw new DomainError('illegal_transition', `${releaseKey(failed.releaseId)} is ${failed.state.replace('_', ' ')}, so there is no failed wave to run again: \`/release bundle continue BUN-${id}\` goes on without it, \`/release bundle rollback BUN-${id} <reason>\` rolls the bundle back.`);
  await retryWave(ctx, actor, failed.releaseId);
  return syncBundle(ctx, id);
}

async function checkControl(ctx: CoreContext, actor: string, id: number, what: string): Promise<{ failed: MemberRollout }> {
  const bundle = await findBundle(ctx.db, id);
  if (!bundle) throw new DomainError('not_found', `BUN-${id} does not exist. Start one with \`/release bundle new "<name>"\`.`);
  const members = await memberRollouts(ctx.db, id);
  assertMayControlBundle(ctx, bundle, members, actor, what);
  return { failed: failedMember(bundle, members, progressOf(members)) };
}

/**
 * `bundle continue BUN-n`: leaves the failed member failed where it stopped (it is not rolled back) and
 * goes on with the next one. Audited on every member, with who decided.
 */
export function continueBundle(ctx: CoreContext, actor: string, id: number): Promise<StoredBundle> {
  return underBundle(ctx, id, async (trx, bundle, members, progress, now) => {
    assertMayControlBundle(ctx, bundle, members, actor, 'continue');
    const failed = failedMember(bundle, members, progress);
    const reason = `BUN-${bundle.id} went on past it (${whoMark(actor)})`;
    // A member paused on its failed wave is stopped there; one already ended (aborted, rolled back) stays as it is.
    const moved = failed.state === 'paused' ? await controlIn(ctx, trx, actor, failed.releaseId, abortSpec(ctx, actor, failed.releaseId, reason), now, { system: true }) : { outbox: [] as number[] };
    await markPassed(trx, bundle.id, failed.releaseId, actor, now);
    await updateBundleIf(trx, bundle.id, 'paused', { state: 'in_progress', rollout_note: null });
    await audit(trx, members, actor, 'bundle_continued', { bundle: bundle.id, past: failed.releaseId }, now);
    return [...moved.outbox, ...(await enqueueOutbox(trx, [bundleSyncEffect(bundle.id, `continued-${failed.releaseId}`, now), bundleCardEffect(bundle.id, 'continued', now)], now))];
  });
}

/**
 * `bundle rollback BUN-n <reason>`: rolls back every member that started, the last started first, one
 * at a time (each with its own rollback steps); members that never started are left as they are.
 */
export function rollbackBundle(ctx: CoreContext, actor: string, id: number, reason: string): Promise<StoredBundle> {
  if (!reason.trim()) throw new DomainError('invalid_input', `Say why you roll back: \`/release bundle rollback BUN-${id} <reason>\`.`);
  return underBundle(ctx, id, async (trx, bundle, members, _progress, now) => {
    assertMayControlBundle(ctx, bundle, members, actor, 'roll back');
    if (!['in_progress', 'paused', 'completed'].includes(bundle.state)) throw new DomainError('illegal_transition', `BUN-${bundle.id} is ${bundle.state.replace('_', ' ')}; only a bundle that has started can be rolled back.`);
    await updateBundleIf(trx, bundle.id, bundle.state, { state: 'rolling_back', rollout_note: `Rolling back: ${reason.trim()}` });
    await audit(trx, members, actor, 'bundle_rollback_requested', { bundle: bundle.id, reason: reason.trim() }, now);
    return [bundleSyncEffect(bundle.id, 'rollback', now), bundleCardEffect(bundle.id, 'rollback', now)];
  });
}
