import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('releases')
    .addColumn('waves', 'jsonb')
    .addColumn('rollout_direction', 'text', (c) => c.notNull().defaultTo('forward'))
    .addColumn('rollout_note', 'text')
    .addColumn('bypassed_freeze', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('rollout_steps')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('release_id', 'integer', (c) => c.notNull().references('releases.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('deploy', 'rollback')`))
    .addColumn('wave_index', 'integer', (c) => c.notNull())
    .addColumn('wave_name', 'text', (c) => c.notNull())
    .addColumn('try', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('targets', 'jsonb', (c) => c.notNull())
    .addColumn('deployer', 'text', (c) => c.notNull())
    .addColumn('checklist', 'jsonb', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    // Sent with every call a deployer makes for this step, so a retried call is recognised as the same one.
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('bake_until', 'timestamptz')
    .addColumn('verify_deadline', 'timestamptz')
    .addColumn('error', 'text')
    .addColumn('reported_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    // One step per wave, direction and try: two workers cannot both create the next step.
    .addUniqueConstraint('rollout_steps_once', ['release_id', 'kind', 'wave_index', 'try'])
    .execute();
  await db.schema.createIndex('rollout_steps_release').on('rollout_steps').columns(['release_id', 'id']).execute();

  await db.schema
    .createTable('checklist_ticks')
    .addColumn('step_id', 'integer', (c) => c.notNull().references('rollout_steps.id'))
    .addColumn('item', 'integer', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('checklist_ticks_pk', ['step_id', 'item'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('checklist_ticks').ifExists().execute();
  await db.schema.dropTable('rollout_steps').ifExists().execute();
  for (const column of ['waves', 'rollout_direction', 'rollout_note', 'bypassed_freeze', 'started_at', 'finished_at']) {
    await db.schema.alterTable('releases').dropColumn(column).execute();
  }
}
