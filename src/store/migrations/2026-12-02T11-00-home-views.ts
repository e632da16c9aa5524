import type { Kysely } from 'kysely';

// Who has opened relm's App Home: only their Home views are republished when a release changes
// (views.publish for someone who never opened it would be a wasted call).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('home_views')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('home_views').execute();
}
