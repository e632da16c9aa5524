import type { CoreContext } from '../context.ts';
import { completeStep } from './rollout/steps.ts';
import { findStep, findStepByKey } from '../../store/repositories/steps.ts';

const FAILED = new Set(['failure', 'error']);

/**
 * A `deployment_status` for a deployment the github deployer created: the step succeeds once every
 * target's deployment succeeded, and fails as soon as one fails. Returns false for other deployments.
 */
export async function reportGitHubDeployment(ctx: CoreContext, deploymentId: number, state: string, detail: string | null, relmKey?: string): Promise<boolean> {
  let row = await ctx.db.selectFrom('github_deployments').selectAll().where('deployment_id', '=', String(deploymentId)).executeTakeFirst();
  if (!row && relmKey) {
    // GitHub can report a deployment before the deployer has recorded it; the payload's key says whose it is.
    const at = relmKey.lastIndexOf(':');
    const step = at > 0 ? await findStepByKey(ctx.db, relmKey.slice(0, at)) : undefined;
    if (step) {
      await ctx.db
        .insertInto('github_deployments')
        .values({ step_id: step.id, target: relmKey.slice(at + 1), deployment_id: deploymentId, state: 'pending', updated_at: ctx.clock() })
        .onConflict((oc) => oc.columns(['step_id', 'target']).doNothing())
        .execute();
      row = await ctx.db.selectFrom('github_deployments').selectAll().where('deployment_id', '=', String(deploymentId)).executeTakeFirst();
    }
  }
  if (!row) return false;
  await ctx.db.updateTable('github_deployments').set({ state, updated_at: ctx.clock() }).where('deployment_id', '=', String(deploymentId)).execute();
  const step = await findStep(ctx.db, row.step_id);
  if (!step || step.state !== 'running') return true;
  if (FAILED.has(state)) {
    await completeStep(ctx, step.id, 'failed', 'github', `GitHub deployment to ${row.target} ended in ${state}${detail ? `: ${detail}` : ''}`);
    return true;
  }
  const all = await ctx.db.selectFrom('github_deployments').select(['target', 'state']).where('step_id', '=', step.id).execute();
  if (all.length >= step.targets.length && all.every((d) => d.state === 'success')) await completeStep(ctx, step.id, 'succeeded', 'github', `deployed to ${step.targets.join(', ')}`);
  return true;
}
