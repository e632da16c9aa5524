import { sql, type Kysely } from 'kysely';

// A Jira incident resolved in Jira is found among the recorded incidents by its key, in any case
// (`/release incident REL-4 inc-42` names INC-42 too), for every issue update Jira sends.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX incidents_ref ON incidents (upper(ref))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS incidents_ref`.execute(db);
}
