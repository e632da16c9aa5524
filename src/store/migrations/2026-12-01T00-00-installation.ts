import { sql, type Kysely } from 'kysely';

// One row naming this database: BullMQ queues and job ids carry it, so a new database on an old Redis,
// or two installs on one Redis and prefix, never take each other's jobs or collide on a job id. The id
// itself is made by relm (ensureInstallationId), once, so every process on the database agrees on it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('installation')
    .addColumn('singleton', 'boolean', (c) => c.primaryKey().defaultTo(true).check(sql`singleton`))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('installation').execute();
}
