import type { Kysely } from 'kysely';

// Who put a version on a target: the installer who reported a manual wave done, or GitHub's deployment creator.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deployment_records').addColumn('deployed_by', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deployment_records').dropColumn('deployed_by').execute();
}
