import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // What runs where: one row per observed deployment of a version of a service to a target.
  await db.schema
    .createTable('deployment_records')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('release_id', 'integer')
    // The event that reported it (a rollout step key, a GitHub delivery id): the same event records once.
    .addColumn('source_ref', 'text', (c) => c.notNull().unique())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deployment_records_current').on('deployment_records').columns(['service', 'target', 'id']).execute();

  await db.schema
    .createTable('unauthorised_versions')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('source_ref', 'text', (c) => c.notNull().unique())
    .addColumn('detected_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`CREATE INDEX unauthorised_versions_service ON unauthorised_versions (service, detected_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('unauthorised_versions').ifExists().execute();
  await db.schema.dropTable('deployment_records').ifExists().execute();
}
