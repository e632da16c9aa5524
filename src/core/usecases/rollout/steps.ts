import type { CoreContext } from '../../context.ts';
import { DomainError } from '../../errors.ts';
import { transition } from '../../lifecycle.ts';
import { DEFAULT_VERIFY_TIMEOUT_MS, wavesOf, type RolloutStep } from '../../rollout.ts';
import { releaseKey } from '../../release.ts';
import { updateReleaseIf } from '../../../store/repositories/releases.ts';
import { findStep, tickItem, ticksOf, updateStepIf } from '../../../store/repositories/steps.ts';
import { loadRelease } from '../load.ts';
import type { Transaction } from 'kysely';
import type { DB } from '../../../store/schema.ts';
import { enqueueOutbox } from '../../../store/repositories/outbox.ts';
import { recordStepOutcome } from '../configuration-records.ts';
import { assertMayControl } from './control.ts';
import { changeTransaction, recordChange, snapshot } from '../record-change.ts';
import { checklistRefreshEffect, wakeEffect } from './effects.ts';
import { bundleSyncFor } from '../bundle-sync-effect.ts';

export const VERIFY_INTERVAL_MS = 2_000;

/** A manual step's checklist message loses its buttons once the step has a result. */
function closeChecklist(step: RolloutStep, outcome: string) {
  return step.deployer === 'manual' ? [checklistRefreshEffect(step, `closed:${outcome}`)] : [];
}

async function loadStep(ctx: CoreContext, stepId: number): Promise<RolloutStep> {
  const step = await findStep(ctx.db, stepId);
  if (!step) throw new DomainError('not_found', 'That rollout step does not exist (any more).');
  return step;
}

/**
 * A deployer's verdict on a step. Success moves on to verification, then the bake, then the next wave;
 * failure pauses the rollout and asks the team to retry, continue or roll back.
 */
export async function completeStep(ctx: CoreContext, stepId: number, outcome: 'succeeded' | 'failed', actor: string, detail: string | null): Promise<RolloutStep> {
  await loadStep(ctx, stepId);
  return changeTransaction(ctx, (trx) => completeStepIn(ctx, trx, stepId, outcome, actor, detail, 'running'));
}

/** The body of completeStep, inside the caller's transaction; `from` is the state the step must be in. */
async function completeStepIn(ctx: CoreContext, trx: Transaction<DB>, stepId: number, outcome: 'succeeded' | 'failed', actor: string, detail: string | null, from: 'running' | 'verifying'): Promise<RolloutStep> {
  const now = ctx.clock();
  const first = (await findStep(trx, stepId))!;
  const release = await loadRelease(trx, first.releaseId, { lock: true });
  const step = (await findStep(trx, stepId, { lock: true }))!;
  if (step.state !== from) {
    if ((step.state === 'succeeded' || step.state === 'verifying' || step.state === 'baking') && outcome === 'succeeded') return step;
    throw new DomainError('conflict', `${step.waveName} is ${step.state}, not waiting for a result.`);
  }
  const wave = wavesOf(ctx.settings, release)[step.waveIndex];
  let updated: RolloutStep | undefined;
  if (outcome === 'failed') {
    updated = await updateStepIf(trx, stepId, from, { state: 'failed', finished_at: now, error: detail ?? 'reported failed', reported_by: actor });
    const what = step.kind === 'deploy' ? `Wave ${step.waveName} failed` : `Rolling back ${step.waveName} failed`;
    const note = `${what}${detail ? `: ${detail}` : ''}. ${step.kind === 'deploy' ? 'Retry it, continue with the next wave, or roll back.' : 'Retry the rollback step or finish it by hand.'}`;
    let current = release;
    if (release.state === 'in_progress') {
      const paused = await updateReleaseIf(trx, release.id, 'in_progress', { state: transition(release, 'pause'), rollout_note: note, updated_at: now });
      current = paused ?? release;
    }
    await recordChange(trx, { release: current, actor, action: step.kind === 'deploy' ? 'wave_failed' : 'rollback_step_failed', before: snapshot(release), after: { ...snapshot(current), wave: step.waveName, detail }, at: now, effects: [...closeChecklist(step, 'failed'), ...(await bundleSyncFor(trx, release.id, `failed-${stepId}`, now))] });
  } else {
    const verify = step.kind === 'deploy' ? wave?.verify : undefined;
    const bakeMs = step.kind === 'deploy' ? (wave?.bakeMs ?? 0) : 0;
    if (verify) {
      updated = await updateStepIf(trx, stepId, from, { state: 'verifying', verify_deadline: new Date(now.getTime() + (verify.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS)), reported_by: actor });
    } else if (bakeMs > 0) {
      updated = await updateStepIf(trx, stepId, from, { state: 'baking', bake_until: new Date(now.getTime() + bakeMs), reported_by: actor });
    } else {
      updated = await updateStepIf(trx, stepId, from, { state: 'succeeded', finished_at: now, reported_by: actor });
    }
    if (updated) await recordStepOutcome(trx, release, updated, now);
    const wakeAt = updated?.state === 'baking' ? updated.bakeUntil! : now;
    await recordChange(trx, { release, actor, action: step.kind === 'deploy' ? 'wave_deployed' : 'rollback_step_done', after: { wave: step.waveName, next: updated?.state, detail }, at: now, effects: [wakeEffect(release.id, wakeAt), ...closeChecklist(step, 'done')] });
  }
  return updated ?? step;
}

/** One answer from a wave's verification URL: passes, keeps polling until the deadline, or fails the wave. */
export async function recordVerification(ctx: CoreContext, stepId: number, passed: boolean, detail: string): Promise<void> {
  const first = await loadStep(ctx, stepId);
  const now = ctx.clock();
  const outbox = await changeTransaction(ctx, async (trx) => {
    const release = await loadRelease(trx, first.releaseId, { lock: true });
    const step = (await findStep(trx, stepId, { lock: true }))!;
    if (step.state !== 'verifying') return [];
    const wave = wavesOf(ctx.settings, release)[step.waveIndex];
    if (passed) {
      const bakeMs = wave?.bakeMs ?? 0;
      const next = bakeMs > 0 ? await updateStepIf(trx, stepId, 'verifying', { state: 'baking', bake_until: new Date(now.getTime() + bakeMs) }) : await updateStepIf(trx, stepId, 'verifying', { state: 'succeeded', finished_at: now });
      return (await recordChange(trx, { release, actor: 'relm', action: 'wave_verified', after: { wave: step.waveName, detail }, at: now, effects: [wakeEffect(release.id, next?.bakeUntil ?? now)] })).outboxIds;
    }
    if (step.verifyDeadline && now < step.verifyDeadline) {
      return enqueueOutbox(trx, [wakeEffect(release.id, new Date(now.getTime() + VERIFY_INTERVAL_MS))], now);
    }
    // Past the deadline: the wave fails in this same transaction, so a crash cannot strand it half-way.
    await completeStepIn(ctx, trx, stepId, 'failed', 'relm', `verification did not pass before its deadline (${detail})`, 'verifying');
    return [];
  });
  await ctx.effects.dispatch(outbox);
}

/** An installer ticks a checklist item; who and when are kept. */
export async function tickChecklist(ctx: CoreContext, actor: string, stepId: number, item: number): Promise<{ step: RolloutStep; ticked: boolean }> {
  const step = await loadStep(ctx, stepId);
  if (item < 0 || item >= step.checklist.length) throw new DomainError('invalid_input', 'That checklist item does not exist.');
  if (step.state !== 'running') throw new DomainError('conflict', `${step.waveName} is ${step.state}; its checklist is closed.`);
  await assertMayControl(ctx, ctx.db, await loadRelease(ctx.db, step.releaseId), actor, { installers: true });
  const now = ctx.clock();
  const result = await changeTransaction(ctx, async (trx) => {
    const ticked = await tickItem(trx, stepId, item, actor, now);
    if (!ticked) return { ticked, outbox: [] as number[] };
    const release = await loadRelease(trx, step.releaseId);
    const change = await recordChange(trx, { release, actor, action: 'checklist_ticked', after: { wave: step.waveName, item: step.checklist[item] }, at: now, effects: [checklistRefreshEffect(step, `${item}:${now.getTime()}`)] });
    return { ticked, outbox: change.outboxIds };
  });
  await ctx.effects.dispatch(result.outbox);
  return { step, ticked: result.ticked };
}

/** Done on a manual step: every item must be ticked first. */
export async function reportManualStep(ctx: CoreContext, actor: string, stepId: number, outcome: 'succeeded' | 'failed', detail: string | null): Promise<RolloutStep> {
  const step = await loadStep(ctx, stepId);
  await assertMayControl(ctx, ctx.db, await loadRelease(ctx.db, step.releaseId), actor, { installers: true });
  if (outcome === 'succeeded') {
    const ticked = new Set((await ticksOf(ctx.db, stepId)).map((t) => t.item));
    const open = step.checklist.filter((_, i) => !ticked.has(i));
    if (open.length) throw new DomainError('invalid_input', `Tick every item before Done; still open: ${open.join('; ')}.`);
  }
  const release = await loadRelease(ctx.db, step.releaseId);
  if (release.state !== 'in_progress' && release.state !== 'paused') throw new DomainError('illegal_transition', `${releaseKey(release.id)} is ${release.state}; its rollout is not running.`);
  return completeStep(ctx, stepId, outcome, actor, detail);
}
