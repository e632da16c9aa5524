import type { Kysely } from 'kysely';

// What users will notice (expected impact or downtime) and whom to ask during early life support.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('releases').addColumn('impact', 'text', (c) => c.notNull().defaultTo('')).addColumn('contact', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['impact', 'contact']) await db.schema.alterTable('releases').dropColumn(column).execute();
}
