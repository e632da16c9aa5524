import { sql, type Kysely } from 'kysely';

// Migrations are written against Kysely<any>: they describe the schema at their own point in history.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('releases')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('risk', 'text', (c) => c.notNull())
    .addColumn('planned_start', 'timestamptz')
    .addColumn('deployment_model', 'text', (c) => c.notNull())
    .addColumn('rollback_plan', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('test_evidence', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('training_needed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('requester', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('reschedule_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('card_channel', 'text')
    .addColumn('card_ts', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('submitted_at', 'timestamptz')
    .addColumn('approved_at', 'timestamptz')
    .execute();
  // One live release per service and version; a cancelled one frees its version.
  await sql`CREATE UNIQUE INDEX releases_service_version ON releases (service, version) WHERE state <> 'cancelled'`.execute(db);
  await db.schema.createIndex('releases_state').on('releases').columns(['state', 'service']).execute();

  await db.schema
    .createTable('decisions')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('release_id', 'integer', (c) => c.notNull().references('releases.id'))
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('approver', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision IN ('approve', 'reject')`))
    .addColumn('comment', 'text')
    .addColumn('decided_at', 'timestamptz', (c) => c.notNull())
    // The exactly-once rule for approvals: one decision per approver per plan revision.
    .addUniqueConstraint('decisions_once_per_revision', ['release_id', 'revision', 'approver'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('release_id', 'integer')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .execute();
  await db.schema.createIndex('audit_log_release').on('audit_log').columns(['release_id', 'seq']).execute();
  await sql`
    CREATE FUNCTION relm_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only';
    END
    $$`.execute(db);
  await sql`CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION relm_audit_append_only()`.execute(db);
  await sql`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION relm_audit_append_only()`.execute(db);

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('release_id', 'integer')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('result', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('done_at', 'timestamptz')
    .execute();
  await sql`CREATE INDEX outbox_open ON outbox (created_at) WHERE state IN ('pending', 'sending')`.execute(db);

  await db.schema
    .createTable('inbound_deliveries')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['inbound_deliveries', 'outbox', 'audit_log', 'decisions', 'releases']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await sql`DROP FUNCTION IF EXISTS relm_audit_append_only()`.execute(db);
}
