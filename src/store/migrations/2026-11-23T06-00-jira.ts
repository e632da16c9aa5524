import type { Kysely } from 'kysely';

// The key of a release's change ticket in Jira, once raised.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('releases').addColumn('jira_key', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('releases').dropColumn('jira_key').execute();
}
