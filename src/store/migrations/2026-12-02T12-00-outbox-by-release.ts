import { sql, type Kysely } from 'kysely';

// A release's effects are looked up by release and kind (its card, its failures, its change ticket's
// last linking): with thousands of notices per release, those lookups must not scan them all.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX outbox_by_release ON outbox (release_id, kind)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS outbox_by_release`.execute(db);
}
