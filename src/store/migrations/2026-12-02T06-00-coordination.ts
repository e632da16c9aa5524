import { sql, type Kysely } from 'kysely';

// Coordination and control: deploy locks; a release's assessed risk, the requester's reason for
// stating a lower one, and who started it past a conflicting rollout.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('deploy_locks')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    // The targets it holds; empty holds every target of the service.
    .addColumn('targets', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('locked_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('released_at', 'timestamptz')
    .addColumn('released_by', 'text')
    .execute();
  await sql`CREATE INDEX deploy_locks_active ON deploy_locks (expires_at) WHERE released_at IS NULL`.execute(db);
  await db.schema
    .alterTable('releases')
    .addColumn('assessed_risk', 'text')
    .addColumn('risk_factors', 'jsonb')
    .addColumn('risk_reason', 'text')
    .addColumn('forced_by', 'text')
    .execute();
  // The calendar and the conflict checks read live releases by planned start.
  await sql`CREATE INDEX releases_live_by_start ON releases (planned_start) WHERE state IN ('draft', 'submitted', 'approved', 'scheduled', 'in_progress', 'paused')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS releases_live_by_start`.execute(db);
  for (const column of ['assessed_risk', 'risk_factors', 'risk_reason', 'forced_by']) await db.schema.alterTable('releases').dropColumn(column).execute();
  await db.schema.dropTable('deploy_locks').execute();
}
