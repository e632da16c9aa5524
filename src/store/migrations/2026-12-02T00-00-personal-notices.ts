import { sql, type Kysely } from 'kysely';

// Personal notices: an effect may wait until a moment (a reminder, a user's morning), people may mute a
// service's DMs, and what Slack said of a user (timezone, DM channel) is kept so a fan-out to thousands
// asks Slack once per person, not once per notice.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('not_before', 'timestamptz').execute();
  await db.schema
    .createTable('notice_mutes')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('muted_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('notice_mutes_pkey', ['user_id', 'service'])
    .execute();
  await db.schema
    .createTable('slack_users')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('tz', 'text')
    .addColumn('tz_checked_at', 'timestamptz')
    .addColumn('dm_channel', 'text')
    .execute();
  // The reminders and held notices still to come, looked up when a release is rescheduled or cancelled.
  await sql`CREATE INDEX outbox_deferred ON outbox (release_id) WHERE not_before IS NOT NULL AND state = 'pending'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS outbox_deferred`.execute(db);
  await db.schema.dropTable('slack_users').execute();
  await db.schema.dropTable('notice_mutes').execute();
  await db.schema.alterTable('outbox').dropColumn('not_before').execute();
}
