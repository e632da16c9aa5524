import type { Kysely } from 'kysely';

// Release assets named in the plan, with their sha256 digests, and the outcome of checking them on GitHub.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('releases')
    .addColumn('assets', 'jsonb')
    .addColumn('assets_verified_at', 'timestamptz')
    .addColumn('assets_problem', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['assets', 'assets_verified_at', 'assets_problem']) await db.schema.alterTable('releases').dropColumn(column).execute();
}
