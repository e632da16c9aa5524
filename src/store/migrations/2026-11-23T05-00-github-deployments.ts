import type { Kysely } from 'kysely';

// The GitHub deployments the github deployer created for a step, one per target, and what GitHub last said of each.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('github_deployments')
    .addColumn('step_id', 'integer', (c) => c.notNull().references('rollout_steps.id'))
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'bigint', (c) => c.notNull().unique())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('github_deployments_pk', ['step_id', 'target'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('github_deployments').ifExists().execute();
}
