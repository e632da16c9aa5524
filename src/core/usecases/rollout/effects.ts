import type { CoreContext } from '../../context.ts';
import type { OutboxMessage } from '../../effect.ts';
import type { StoredRelease } from '../../release.ts';
import type { RolloutStep } from '../../rollout.ts';



/** Wake the rollout of a release at `at` (a BullMQ delayed job, after commit). */
export function wakeEffect(releaseId: number, at: Date): OutboxMessage {
  return { kind: 'wake', releaseId, dedupeKey: `wake:${releaseId}:${at.getTime()}`, payload: { releaseId, at: at.toISOString() } };
}

/** Hand a step to its deployer, once: the key is the step's idempotency key. */
export function deployEffect(step: RolloutStep): OutboxMessage {
  return { kind: 'deploy_step', releaseId: step.releaseId, dedupeKey: `deploy:${step.idempotencyKey}`, payload: { releaseId: step.releaseId, stepId: step.id } };
}

export function verifyEffect(step: RolloutStep, at: Date): OutboxMessage {
  return { kind: 'verify_step', releaseId: step.releaseId, dedupeKey: `verify:${step.id}:${at.getTime()}`, payload: { releaseId: step.releaseId, stepId: step.id } };
}

export function checklistRefreshEffect(step: RolloutStep, version: string): OutboxMessage {
  return { kind: 'checklist_refresh', releaseId: step.releaseId, dedupeKey: `checklist:${step.id}:${version}`, payload: { releaseId: step.releaseId, stepId: step.id } };
}

/**
 * Keeps the GitHub release of a release in step: a draft with generated notes on approval, published
 * when the rollout completes, marked when it is rolled back. Only for services with a github_repo.
 */
export function githubEffects(ctx: CoreContext, release: StoredRelease, stage: 'draft' | 'publish' | 'rolled_back'): OutboxMessage[] {
  if (!ctx.github || !ctx.settings.services[release.service]?.githubRepo) return [];
  return [{ kind: `github_${stage}`, releaseId: release.id, dedupeKey: `github:${stage}:${release.id}:${release.version}`, payload: { releaseId: release.id, version: release.version } }];
}
