import type { CoreContext } from '../context.ts';
import type { DeploymentHost } from '../ports/code-host.ts';
import { formatDuration } from '../../config/duration.ts';
import { modelOf } from '../rollout.ts';
import { completeStep } from './rollout/steps.ts';
import { findStep, findStepByKey } from '../../store/repositories/steps.ts';
import { findRelease } from '../../store/repositories/releases.ts';
import { findGitHubDeployment, gitHubDeploymentsOfStep, recordGitHubDeployment, setGitHubDeploymentState } from '../../store/repositories/github-deployments.ts';

const FAILED = new Set(['failure', 'error']);

/**
 * A `deployment_status` for a deployment the github deployer created: the step succeeds once every
 * target's deployment succeeded, and fails as soon as one fails. Returns false for other deployments.
 */
export async function reportGitHubDeployment(ctx: CoreContext, deploymentId: number, state: string, detail: string | null, relmKey?: string): Promise<boolean> {
  let row = await findGitHubDeployment(ctx.db, deploymentId);
  if (!row && relmKey) {
    // GitHub can report a deployment before the deployer has recorded it; the payload's key says whose it is.
    const at = relmKey.lastIndexOf(':');
    const step = at > 0 ? await findStepByKey(ctx.db, relmKey.slice(0, at)) : undefined;
    if (step) {
      await recordGitHubDeployment(ctx.db, { stepId: step.id, target: relmKey.slice(at + 1), deploymentId }, ctx.clock());
      row = await findGitHubDeployment(ctx.db, deploymentId);
    }
  }
  if (!row) return false;
  await setGitHubDeploymentState(ctx.db, deploymentId, state, ctx.clock());
  const step = await findStep(ctx.db, row.stepId);
  if (!step || step.state !== 'running') return true;
  if (FAILED.has(state)) {
    await completeStep(ctx, step.id, 'failed', 'github', `GitHub deployment to ${row.target} ended in ${state}${detail ? `: ${detail}` : ''}`);
    return true;
  }
  const all = await gitHubDeploymentsOfStep(ctx.db, step.id);
  if (all.length >= step.targets.length && all.every((d) => d.state === 'success')) await completeStep(ctx, step.id, 'succeeded', 'github', `deployed to ${step.targets.join(', ')}`);
  return true;
}

const FINAL = new Set(['success', 'failure', 'error', 'inactive']);

/**
 * The fallback for lost or never-configured `deployment_status` webhooks: asks GitHub for the newest
 * status of each of a running step's deployments and takes it as if the webhook had brought it. A
 * step with no result by the model's `github.timeout` fails, so a rollout never waits for ever.
 */
export async function pollGitHubDeployments(ctx: CoreContext, host: DeploymentHost | undefined, stepId: number): Promise<Record<string, unknown>> {
  const step = await findStep(ctx.db, stepId);
  if (!step || step.state !== 'running') return { skipped: `step is ${step?.state ?? 'gone'}` };
  const release = await findRelease(ctx.db, step.releaseId);
  const repo = release ? ctx.settings.services[release.service]?.githubRepo : undefined;
  const polled: Record<string, string> = {};
  if (host && repo) {
    const open = await gitHubDeploymentsOfStep(ctx.db, stepId);
    for (const d of open.filter((row) => !FINAL.has(row.state))) {
      const newest = await host.deploymentState(repo, d.deploymentId);
      if (!newest) continue;
      polled[d.target] = newest.state;
      if (newest.state !== d.state) await reportGitHubDeployment(ctx, d.deploymentId, newest.state, newest.description);
    }
  }
  const timeoutMs = release ? (modelOf(ctx.settings, release).github?.timeoutMs ?? 3_600_000) : 3_600_000;
  const now = ctx.clock();
  const current = await findStep(ctx.db, stepId);
  if (current?.state === 'running' && current.startedAt && now.getTime() - current.startedAt.getTime() >= timeoutMs) {
    await completeStep(ctx, stepId, 'failed', 'relm', `GitHub reported no result for ${step.targets.join(', ')} within ${formatDuration(timeoutMs)}`);
    return { polled, timedOut: true };
  }
  return { polled };
}
