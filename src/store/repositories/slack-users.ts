import type { Kysely } from 'kysely';
import type { DB } from '../schema.ts';

/** What Slack said of a user, kept in the database so every worker asks Slack once per person. */
export interface SlackUserRecord {
  tz: string | null;
  tzCheckedAt: Date | null;
  dmChannel: string | null;
}

export async function findSlackUser(db: Kysely<DB>, userId: string): Promise<SlackUserRecord | undefined> {
  const row = await db.selectFrom('slack_users').selectAll().where('user_id', '=', userId).executeTakeFirst();
  return row ? { tz: row.tz, tzCheckedAt: row.tz_checked_at, dmChannel: row.dm_channel } : undefined;
}

export async function saveSlackUserTimezone(db: Kysely<DB>, userId: string, tz: string | null, at: Date): Promise<void> {
  await db
    .insertInto('slack_users')
    .values({ user_id: userId, tz, tz_checked_at: at })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ tz, tz_checked_at: at }))
    .execute();
}

export async function saveSlackUserDmChannel(db: Kysely<DB>, userId: string, channel: string): Promise<void> {
  await db
    .insertInto('slack_users')
    .values({ user_id: userId, dm_channel: channel })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ dm_channel: channel }))
    .execute();
}

export async function findSlackTimezones(db: Kysely<DB>, userIds: string[], since: Date): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.selectFrom('slack_users').select(['user_id', 'tz']).where('user_id', 'in', userIds).where('tz', 'is not', null).where('tz_checked_at', '>', since).execute();
  return new Map(rows.map((r) => [r.user_id, r.tz!]));
}

export async function saveSlackTimezones(db: Kysely<DB>, entries: [string, string][], at: Date): Promise<void> {
  for (let i = 0; i < entries.length; i += 1_000) {
    await db
      .insertInto('slack_users')
      .values(entries.slice(i, i + 1_000).map(([user_id, tz]) => ({ user_id, tz, tz_checked_at: at })))
      .onConflict((oc) => oc.column('user_id').doUpdateSet((eb) => ({ tz: eb.ref('excluded.tz'), tz_checked_at: eb.ref('excluded.tz_checked_at') })))
      .execute();
  }
}

/** The database as the Slack client's memory of people (see PeopleCache). */
export function slackPeopleCache(db: Kysely<DB>) {
  return {
    find: (userId: string) => findSlackUser(db, userId),
    saveTimezone: (userId: string, tz: string | null, at: Date) => saveSlackUserTimezone(db, userId, tz, at),
    saveDmChannel: (userId: string, channel: string) => saveSlackUserDmChannel(db, userId, channel),
    findTimezones: (userIds: string[], since: Date) => findSlackTimezones(db, userIds, since),
    saveTimezones: (entries: [string, string][], at: Date) => saveSlackTimezones(db, entries, at),
  };
}
