import { z } from 'zod';
import { findRelease } from '../../store/repositories/releases.ts';
import { findOutbox } from '../../store/repositories/outbox.ts';
import { findStep, ticksOf } from '../../store/repositories/steps.ts';
import { DeployRejectedError, type DeployStarted } from '../ports/deployer.ts';
import type { PostedRef } from '../ports/publisher.ts';
import { modelOf, wavesOf } from '../rollout.ts';
import { pollGitHubDeployments } from '../usecases/github-deployments.ts';
import { completeStep, recordVerification } from '../usecases/rollout/steps.ts';
import { EffectNotReadyError } from './errors.ts';
import { effect } from './effect.ts';
import { OfStep, releaseId } from './payloads.ts';

/** Wakes the release's rollout at a time (a bake's end, a window's opening). */
export const wakeEffect = effect({
  kinds: ['wake'],
  payload: z.object({ releaseId, at: z.iso.datetime() }),
  traits: {},
  async perform(_ctx, { waker }, _kind, payload) {
    await waker.wakeAt(payload.releaseId, new Date(payload.at));
    return { woken: payload.at };
  },
});

/** Hands a step to its deployer; an immediate verdict is recorded at once, a later one by callback or button. */
export const deployStepEffect = effect({
  kinds: ['deploy_step'],
  payload: OfStep,
  traits: {},
  async perform(ctx, { deployers }, _kind, { stepId }, { retry }) {
    const step = await findStep(ctx.db, stepId);
    if (!step || step.state !== 'running') return { skipped: `step is ${step?.state ?? 'gone'}` };
    const release = (await findRelease(ctx.db, step.releaseId))!;
    const deployer = deployers[step.deployer];
    if (!deployer) {
      // The wave fails (and the rollout pauses, saying why) rather than waiting for ever.
      const hint = step.deployer === 'github' ? ' (set GITHUB_TOKEN)' : '';
      await completeStep(ctx, stepId, 'failed', 'relm', `no deployer named "${step.deployer}" is installed${hint}`);
      return { failed: 'no deployer' };
    }
    let started: DeployStarted;
    try {
      started = await deployer.start({ release, step, model: modelOf(ctx.settings, release), retry });
    } catch (error) {
      if (!(error instanceof DeployRejectedError)) throw error;
      await completeStep(ctx, stepId, 'failed', 'relm', error.message);
      return { rejected: error.message };
    }
    if (started.status !== 'running') await completeStep(ctx, stepId, started.status, 'relm', started.detail ?? null);
    return { status: started.status, ...(started.ref ?? {}) };
  },
});

/** Asks GitHub for the newest status of a github step's deployments (when no webhook came). */
export const githubPollEffect = effect({
  kinds: ['github_poll'],
  payload: OfStep,
  traits: {},
  perform: (ctx, { deploymentHost }, _kind, { stepId }) => pollGitHubDeployments(ctx, deploymentHost, stepId),
});

/** Asks a wave's verification URL once; the step records the answer and polls again or moves on. */
export const verifyStepEffect = effect({
  kinds: ['verify_step'],
  payload: OfStep,
  traits: {},
  async perform(ctx, { verifier }, _kind, payload) {
    const step = await findStep(ctx.db, payload.stepId);
    const release = await findRelease(ctx.db, payload.releaseId);
    const wave = step && release ? wavesOf(ctx.settings, release)[step.waveIndex] : undefined;
    if (!step || step.state !== 'verifying' || !wave?.verify) return { skipped: 'not verifying' };
    const answer = await verifier.check(wave.verify.url, wave.verify.expect);
    await recordVerification(ctx, step.id, answer.passed, answer.detail);
    return { ...answer };
  },
});

/** Redraws a manual step's checklist with who ticked what. */
export const checklistRefreshEffect = effect({
  kinds: ['checklist_refresh'],
  payload: OfStep,
  traits: {},
  async perform(ctx, { publisher }, _kind, payload) {
    const step = await findStep(ctx.db, payload.stepId);
    const posted = step ? await findOutbox(ctx.db, `deploy:${step.idempotencyKey}`) : undefined;
    const ref = (posted?.result as { checklist?: PostedRef } | null)?.checklist;
    if (!step || !ref) throw new EffectNotReadyError('the checklist is not posted yet');
    const release = (await findRelease(ctx.db, payload.releaseId))!;
    await publisher.updateChecklist(release, ref, step, await ticksOf(ctx.db, step.id));
    return { refreshed: true };
  },
});
