import { sql, type Kysely } from 'kysely';

// Jira does not promise to deliver webhooks in order, and retries a failed delivery later: a resolve
// retried after the reopen that followed it would close the incident again. Each incident keeps the
// time of the newest Jira event relm took for it, so an older one is seen for what it is.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE incidents ADD COLUMN jira_event_at timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE incidents DROP COLUMN IF EXISTS jira_event_at`.execute(db);
}
