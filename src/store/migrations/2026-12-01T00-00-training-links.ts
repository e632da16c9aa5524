import type { Kysely } from 'kysely';

// Links to the training material of a release that needs training, shown to approvers and users.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('releases').addColumn('training_links', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('releases').dropColumn('training_links').execute();
}
