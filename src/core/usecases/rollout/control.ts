import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../../store/schema.ts';
import type { CoreContext } from '../../context.ts';
import { DomainError } from '../../errors.ts';
import { transition, type LifecycleEvent } from '../../lifecycle.ts';
import { releaseKey, type StoredRelease } from '../../release.ts';
import { whoMark } from '../../text.ts';
import { isReleaseManager } from '../access.ts';
import { decisionsFor } from '../../../store/repositories/decisions.ts';
import { updateReleaseIf } from '../../../store/repositories/releases.ts';
import { createStep, stepsOf, updateStepIf } from '../../../store/repositories/steps.ts';
import type { ReleaseUpdate } from '../../../store/schema.ts';
import { loadRelease } from '../load.ts';
import { changeTransaction, recordChange, snapshot } from '../record-change.ts';
import { wakeEffect } from './effects.ts';
import { authorisation, blockingRollouts, wakeWaitingFor } from './gate.ts';
import { rolloutsUnderWay, type CalendarRelease } from '../../../store/repositories/releases.ts';
import { conflictsForRelease, otherCards } from '../conflicts.ts';
import type { OutboxMessage } from '../../effect.ts';
import { bundleSyncFor } from '../bundle-sync-effect.ts';
import { bundlesOf } from '../../../store/repositories/bundles.ts';

/** Rollout controls are for the release's owner, its approvers and the release managers. */
export async function assertMayControl(ctx: CoreContext, trx: Kysely<DB> | Transaction<DB>, release: StoredRelease, actor: string, options: { installers?: boolean } = {}): Promise<void> {
  if (release.requester === actor || isReleaseManager(ctx.settings, actor)) return;
  if (options.installers && ctx.settings.installers.includes(actor)) return;
  const approvers = (await decisionsFor(trx, release.id)).filter((d) => d.decision === 'approve').map((d) => d.approver);
  if (approvers.includes(actor)) return;
  const who = options.installers ? 'an installer, ' : '';
  throw new DomainError('not_authorised', `Only ${whoMark(release.requester)}, ${who}the approvers of ${releaseKey(release.id)} or a release manager can ${options.installers ? 'work its checklists' : 'control its rollout'}.`);
}

export interface ControlSpec {
  event: LifecycleEvent;
  action: string;
  columns?: (release: StoredRelease, now: Date) => ReleaseUpdate;
  /** Work on the steps inside the same transaction (cancel the one in flight, add a retry). */
  steps?: (trx: Transaction<DB>, release: StoredRelease, now: Date) => Promise<void>;
  wake?: boolean;
  reason?: string | null;
  check?: (trx: Transaction<DB>, release: StoredRelease, now: Date) => Promise<void>;
  /** Further effects, worked out in the transaction (wake-ups of rollouts this one held). */
  more?: (trx: Transaction<DB>, release: StoredRelease, now: Date) => Promise<OutboxMessage[]>;
  /** Extra facts for the audit entry. */
  audit?: Record<string, unknown>;
}

async function control(ctx: CoreContext, actor: string, id: number, spec: ControlSpec): Promise<StoredRelease> {
  const now = ctx.clock();
  const result = await changeTransaction(ctx, (trx) => controlIn(ctx, trx, actor, id, spec, now));
  await ctx.effects.dispatch(result.outbox);
  return result.release;
}

/**
 * The body of a control, inside the caller's transaction (a bundle moves its members under its own lock).
 * `system` is relm acting for a bundle a person controls: the person's right was checked on the bundle.
 */
export async function controlIn(ctx: CoreContext, trx: Transaction<DB>, actor: string, id: number, spec: ControlSpec, now: Date, options: { system?: boolean } = {}): Promise<{ release: StoredRelease; outbox: number[] }> {
  const current = await loadRelease(trx, id, { lock: true });
  if (!options.system) await assertMayControl(ctx, trx, current, actor);
  const to = transition(current, spec.event);
  await spec.check?.(trx, current, now);
  await spec.steps?.(trx, current, now);
  const release = await updateReleaseIf(trx, id, current.state, { state: to, updated_at: now, ...(spec.columns?.(current, now) ?? {}) });
  if (!release) throw new DomainError('conflict', `${releaseKey(id)} changed at the same moment; look again with \`/release show ${releaseKey(id)}\`.`);
  const effects: OutboxMessage[] = [...(spec.wake ? [wakeEffect(id, now)] : []), ...((await spec.more?.(trx, release, now)) ?? [])];
  const change = await recordChange(trx, { release, actor, action: spec.action, before: snapshot(current), after: { ...snapshot(release), reason: spec.reason ?? null, ...(spec.audit ?? {}) }, at: now, effects });
  return { release, outbox: change.outboxIds };
}

async function cancelInFlight(trx: Transaction<DB>, release: StoredRelease, now: Date): Promise<void> {
  for (const step of await stepsOf(trx, release.id)) {
    if (['pending', 'running', 'verifying', 'baking'].includes(step.state)) await updateStepIf(trx, step.id, step.state, { state: 'cancelled', finished_at: now });
  }
}

async function lastFailedDeploy(trx: Transaction<DB>, release: StoredRelease) {
  const steps = (await stepsOf(trx, release.id)).filter((s) => s.kind === (release.rolloutDirection === 'forward' ? 'deploy' : 'rollback') && s.state !== 'cancelled');
  const last = steps[steps.length - 1];
  return last?.state === 'failed' ? last : undefined;
}

/**
 * `start REL-n`: roll out now instead of at the planned time. Windows, freezes and deploy locks still
 * apply to each wave, and the first waits while a conflicting rollout (same service or a shared target)
 * is under way, unless a release manager starts it with `force`, which is audited. `force` on a release
 * already waiting to start lets it go past the conflict.
 */
export async function startRollout(ctx: CoreContext, actor: string, id: number, options: { force?: boolean } = {}): Promise<StoredRelease> {
  if (options.force && !isReleaseManager(ctx.settings, actor)) {
    throw new DomainError('not_authorised', `Only a release manager can start ${releaseKey(id)} past a conflicting rollout (\`--force\`); without it, it waits for that rollout to finish.`);
  }
  if (options.force) {
    const waiting = await loadRelease(ctx.db, id);
    if (waiting.state === 'in_progress') return forceWaitingStart(ctx, actor, waiting);
  }
  return control(ctx, actor, id, {
    event: 'start',
    action: 'rollout_started',
    columns: (_r, now) => ({ started_at: now, rollout_note: null, forced_by: options.force ? actor : null }),
    wake: true,
    audit: options.force ? { forced: true } : undefined,
    check: async (trx, release, now) => {
      const bundle = (await bundlesOf(trx, [release.id])).get(release.id);
      if (bundle !== undefined) throw new DomainError('illegal_transition', `${releaseKey(id)} is in BUN-${bundle}: its members start in order with the bundle, \`/release bundle start BUN-${bundle}\`.`);
      const auth = await authorisation(ctx, trx, release, now);
      if (!auth.ok) throw new DomainError('not_authorised', `${releaseKey(id)} is not authorised to go live: ${auth.reason}.`);
    },
  });
}

/** A release already started and waiting for a conflicting rollout: a release manager lets it go past. */
async function forceWaitingStart(ctx: CoreContext, actor: string, waiting: StoredRelease): Promise<StoredRelease> {
  const now = ctx.clock();
  const result = await changeTransaction(ctx, async (trx) => {
    const current = await loadRelease(trx, waiting.id, { lock: true });
    await assertMayControl(ctx, trx, current, actor);
    if (current.state !== 'in_progress') throw new DomainError('illegal_transition', `${releaseKey(current.id)} is ${current.state.replace('_', ' ')}; \`--force\` starts a release that waits for a conflicting rollout.`);
    const release = await updateReleaseIf(trx, current.id, 'in_progress', { forced_by: actor, updated_at: now });
    if (!release) throw new DomainError('conflict', `${releaseKey(current.id)} changed at the same moment; look again with \`/release show ${releaseKey(current.id)}\`.`);
    const change = await recordChange(trx, { release, actor, action: 'start_forced', before: snapshot(current), after: { ...snapshot(release), forced: true }, at: now, effects: [wakeEffect(current.id, now)] });
    return { release, outbox: change.outboxIds };
  });
  await ctx.effects.dispatch(result.outbox);
  return result.release;
}

/** The rollouts under way that a start of this release would wait for (for the answer to `start`). */
export async function rolloutsBlocking(ctx: CoreContext, id: number): Promise<CalendarRelease[]> {
  const release = await loadRelease(ctx.db, id);
  return blockingRollouts(ctx, release, await rolloutsUnderWay(ctx.db));
}

export function pauseRollout(ctx: CoreContext, actor: string, id: number): Promise<StoredRelease> {
  return control(ctx, actor, id, { event: 'pause', action: 'rollout_paused', columns: () => ({ rollout_note: `Paused by ${whoMark(actor)}.` }) });
}

/** Resumes a paused rollout; after a failed wave it asks for retry, continue or rollback instead. */
export function resumeRollout(ctx: CoreContext, actor: string, id: number): Promise<StoredRelease> {
  return control(ctx, actor, id, {
    event: 'resume',
    action: 'rollout_resumed',
    // An asset problem is checked afresh: the release may have been fixed on GitHub meanwhile.
    columns: () => ({ rollout_note: null, assets_problem: null }),
    wake: true,
    check: async (trx, release) => {
      const failed = await lastFailedDeploy(trx, release);
      if (failed) throw new DomainError('invalid_input', `${failed.waveName} failed: choose \`/release retry ${releaseKey(id)}\`, \`/release continue ${releaseKey(id)}\` or \`/release rollback ${releaseKey(id)} <reason>\`.`);
    },
  });
}

/** Runs the failed wave again, as a new try with its own idempotency key. */
export function retryWave(ctx: CoreContext, actor: string, id: number): Promise<StoredRelease> {
  return control(ctx, actor, id, {
    event: 'resume',
    action: 'wave_retried',
    columns: () => ({ rollout_note: null }),
    wake: true,
    steps: async (trx, release, now) => {
      const failed = await lastFailedDeploy(trx, release);
      if (!failed) throw new DomainError('invalid_input', `No failed wave to retry in ${releaseKey(id)}.`);
      await createStep(trx, { releaseId: id, kind: failed.kind, waveIndex: failed.waveIndex, waveName: failed.waveName, try: failed.try + 1, targets: failed.targets, deployer: failed.deployer, checklist: failed.checklist, dueAt: now }, now);
    },
  });
}

/** Leaves the failed wave as failed and goes on with the next one. */
export function continueRollout(ctx: CoreContext, actor: string, id: number): Promise<StoredRelease> {
  return control(ctx, actor, id, {
    event: 'resume',
    action: 'wave_skipped',
    columns: () => ({ rollout_note: null }),
    wake: true,
    steps: async (trx, release) => {
      const failed = await lastFailedDeploy(trx, release);
      if (!failed) throw new DomainError('invalid_input', `No failed wave to continue past in ${releaseKey(id)}.`);
      await updateStepIf(trx, failed.id, 'failed', { state: 'skipped' });
    },
  });
}

/** Stops the rollout where it is, without rolling back: the release ends failed. */
export function abortRollout(ctx: CoreContext, actor: string, id: number, reason: string): Promise<StoredRelease> {
  if (!reason.trim()) throw new DomainError('invalid_input', `Say why you abort: \`/release abort ${releaseKey(id)} <reason>\`.`);
  return control(ctx, actor, id, abortSpec(ctx, actor, id, reason));
}

export function abortSpec(ctx: CoreContext, actor: string, id: number, reason: string): ControlSpec {
  return {
    event: 'abort',
    action: 'rollout_aborted',
    reason,
    columns: (_r, now) => ({ rollout_note: `Aborted by ${whoMark(actor)}: ${reason.trim()}`, finished_at: now }),
    steps: cancelInFlight,
    more: async (trx, release, now) => [...(await wakeWaitingFor(ctx, trx, release, now)), ...otherCards(id, await conflictsForRelease(ctx, trx, { ...release, state: 'in_progress' }), [], now), ...(await bundleSyncFor(trx, id, 'aborted', now))],
  };
}

/** Rolls back every wave that started, newest first, with each wave's rollback steps; ends rolled_back. */
export function rollbackRollout(ctx: CoreContext, actor: string, id: number, reason: string): Promise<StoredRelease> {
  if (!reason.trim()) throw new DomainError('invalid_input', `Say why you roll back: \`/release rollback ${releaseKey(id)} <reason>\`.`);
  return control(ctx, actor, id, rollbackSpec(reason));
}

export function rollbackSpec(reason: string): ControlSpec {
  return {
    event: 'back_out',
    action: 'rollback_requested',
    reason,
    wake: true,
    columns: () => ({ rollout_direction: 'rollback', rollout_note: `Rolling back: ${reason.trim()}` }),
    steps: cancelInFlight,
  };
}
