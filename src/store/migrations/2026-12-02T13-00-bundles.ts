import { sql, type Kysely } from 'kysely';

// Bundles (release trains): several releases shipped as one unit. A release belongs to at most one
// bundle (the primary key on release_id); members run in `position` order, so `ledger` before `payments`.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('bundles')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('planned_start', 'timestamptz')
    // open → approved → in_progress → (paused ↔ in_progress) → completed | rolled_back | cancelled
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('open'))
    // Bumped on any change to a member, so approvals given for an older shape are void.
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .createTable('bundle_members')
    .addColumn('release_id', 'integer', (c) => c.primaryKey().references('releases.id').onDelete('cascade'))
    .addColumn('bundle_id', 'integer', (c) => c.notNull().references('bundles.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.notNull())
    .addColumn('added_at', 'timestamptz', (c) => c.notNull())
    .execute();
  // One approval request covers the bundle; an approval counts for the revision it was given on.
  await db.schema
    .createTable('bundle_approvals')
    .addColumn('bundle_id', 'integer', (c) => c.notNull().references('bundles.id').onDelete('cascade'))
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('approver', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('bundle_approvals_pk', ['bundle_id', 'revision', 'approver'])
    .execute();
  await sql`CREATE UNIQUE INDEX bundle_members_order ON bundle_members (bundle_id, position)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('bundle_approvals').execute();
  await db.schema.dropTable('bundle_members').execute();
  await db.schema.dropTable('bundles').execute();
}
