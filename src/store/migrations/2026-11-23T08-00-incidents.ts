import { sql, type Kysely } from 'kysely';

// Incidents caused by a release (recorded in Slack, or an incident issue linked to its change ticket in
// Jira), and the Jira issue id of each change ticket: Jira's issuelink webhooks name issues by id only.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('release_id', 'integer', (c) => c.notNull().references('releases.id'))
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source IN ('slack', 'jira')`))
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('incidents_once_per_release', ['release_id', 'ref'])
    .execute();
  await db.schema.alterTable('releases').addColumn('jira_issue_id', 'text').execute();
  await db.schema.createIndex('releases_jira_issue_id').on('releases').column('jira_issue_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('releases_jira_issue_id').execute();
  await db.schema.alterTable('releases').dropColumn('jira_issue_id').execute();
  await db.schema.dropTable('incidents').execute();
}
