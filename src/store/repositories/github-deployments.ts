import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../schema.ts';

type Db = Kysely<DB> | Transaction<DB>;

/** A GitHub deployment relm made (or was told of) for one target of a rollout step. */
export interface GitHubDeploymentRecord {
  stepId: number;
  target: string;
  deploymentId: number;
  state: string;
}

function toRecord(row: { step_id: number; target: string; deployment_id: string | number; state: string }): GitHubDeploymentRecord {
  return { stepId: row.step_id, target: row.target, deploymentId: Number(row.deployment_id), state: row.state };
}

/** Records a deployment for a step's target once; a second record of the same target changes nothing. */
export async function recordGitHubDeployment(db: Db, record: Omit<GitHubDeploymentRecord, 'state'>, at: Date): Promise<void> {
  await db
    .insertInto('github_deployments')
    .values({ step_id: record.stepId, target: record.target, deployment_id: record.deploymentId, state: 'pending', updated_at: at })
    .onConflict((oc) => oc.columns(['step_id', 'target']).doNothing())
    .execute();
}

export async function findGitHubDeployment(db: Db, deploymentId: number): Promise<GitHubDeploymentRecord | undefined> {
  const row = await db.selectFrom('github_deployments').selectAll().where('deployment_id', '=', String(deploymentId)).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function setGitHubDeploymentState(db: Db, deploymentId: number, state: string, at: Date): Promise<void> {
  await db.updateTable('github_deployments').set({ state, updated_at: at }).where('deployment_id', '=', String(deploymentId)).execute();
}

export async function gitHubDeploymentsOfStep(db: Db, stepId: number): Promise<GitHubDeploymentRecord[]> {
  return (await db.selectFrom('github_deployments').selectAll().where('step_id', '=', stepId).execute()).map(toRecord);
}
