import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../schema.ts';
import type { ReleaseState, StoredRelease } from '../../core/release.ts';
import { toRelease } from './releases.ts';

type Db = Kysely<DB> | Transaction<DB>;

/** Records that a person opened relm's App Home (the first time, or again). */
export async function recordHomeOpened(db: Db, user: string, at: Date): Promise<void> {
  await db
    .insertInto('home_views')
    .values({ user_id: user, opened_at: at })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ opened_at: at }))
    .execute();
}

export async function markHomePublished(db: Db, user: string, at: Date): Promise<void> {
  await db.updateTable('home_views').set({ published_at: at }).where('user_id', '=', user).execute();
}

/** Whether anyone has opened App Home yet (until then, no change needs to look for whose Home to refresh). */
export async function anyHomeOpened(db: Db): Promise<boolean> {
  return (await db.selectFrom('home_views').select('user_id').limit(1).executeTakeFirst()) !== undefined;
}

/** Which of these people have opened App Home at least once. */
export async function homeOpeners(db: Db, users: readonly string[]): Promise<string[]> {
  if (users.length === 0) return [];
  const rows = await db.selectFrom('home_views').select('user_id').where('user_id', 'in', [...users]).orderBy('user_id').execute();
  return rows.map((r) => r.user_id);
}

/** A person's releases in the given states, the most recently changed first. */
export async function releasesRequestedBy(db: Db, user: string, states: readonly ReleaseState[], limit: number): Promise<StoredRelease[]> {
  const rows = await db.selectFrom('releases').selectAll().where('requester', '=', user).where('state', 'in', [...states]).orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map(toRelease);
}

/** Releases of these services in the given states planned to start before `before`, soonest first. */
export async function releasesPlannedBefore(db: Db, services: readonly string[], states: readonly ReleaseState[], before: Date, limit: number): Promise<StoredRelease[]> {
  if (services.length === 0) return [];
  const rows = await db
    .selectFrom('releases')
    .selectAll()
    .where('service', 'in', [...services])
    .where('state', 'in', [...states])
    .where('planned_start', 'is not', null)
    .where('planned_start', '<', before)
    .orderBy('planned_start')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toRelease);
}

/**
 * Releases that ended (in one of `states`) since `since`, of these services or asked for by `requester`,
 * the latest first. A release that ended without a finish time (an abort) counts from its last change.
 */
export async function releasesEndedSince(db: Db, filter: { services: readonly string[]; requester: string }, states: readonly ReleaseState[], since: Date, limit: number): Promise<StoredRelease[]> {
  const ended = sql<Date>`coalesce(finished_at, updated_at)`;
  const rows = await db
    .selectFrom('releases')
    .selectAll()
    .where('state', 'in', [...states])
    .where(ended, '>=', since)
    .where((eb) => eb.or([eb('requester', '=', filter.requester), ...(filter.services.length ? [eb('service', 'in', [...filter.services])] : [])]))
    .orderBy(ended, 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toRelease);
}

/** The releases (of these) on whose current revision this person has decided. */
export async function decidedCurrentRevision(db: Db, user: string, releases: readonly { id: number; revision: number }[]): Promise<Set<number>> {
  if (releases.length === 0) return new Set();
  const rows = await db
    .selectFrom('decisions as d')
    .innerJoin('releases as r', (join) => join.onRef('r.id', '=', 'd.release_id').onRef('r.revision', '=', 'd.revision'))
    .select('d.release_id')
    .where('d.approver', '=', user)
    .where('d.release_id', 'in', releases.map((r) => r.id))
    .execute();
  return new Set(rows.map((r) => r.release_id));
}
