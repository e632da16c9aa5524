import type { Kysely } from 'kysely';

// An attempt at an effect holds a lease: a second worker finding the row leased leaves it alone, and a
// worker that died mid-attempt gives the row back when its lease runs out.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('claimed_until', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').dropColumn('claimed_until').execute();
}
