import type { Kysely } from 'kysely';
import type { DB } from '../schema.ts';

/** Stops a service's personal notices for a person; false if they were muted already. */
export async function muteService(db: Kysely<DB>, userId: string, service: string, at: Date): Promise<boolean> {
  const rows = await db.insertInto('notice_mutes').values({ user_id: userId, service, muted_at: at }).onConflict((oc) => oc.doNothing()).returning('user_id').execute();
  return rows.length > 0;
}

/** Restarts them; false if they were not muted. */
export async function unmuteService(db: Kysely<DB>, userId: string, service: string): Promise<boolean> {
  const result = await db.deleteFrom('notice_mutes').where('user_id', '=', userId).where('service', '=', service).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Who among `userIds` has muted the service. */
export async function mutedAmong(db: Kysely<DB>, service: string, userIds: string[]): Promise<Set<string>> {
  const muted = new Set<string>();
  for (let i = 0; i < userIds.length; i += 1_000) {
    const rows = await db.selectFrom('notice_mutes').select('user_id').where('service', '=', service).where('user_id', 'in', userIds.slice(i, i + 1_000)).execute();
    for (const row of rows) muted.add(row.user_id);
  }
  return muted;
}

export async function mutedServices(db: Kysely<DB>, userId: string): Promise<string[]> {
  return (await db.selectFrom('notice_mutes').select('service').where('user_id', '=', userId).orderBy('service').execute()).map((r) => r.service);
}
