import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../schema.ts';

type Db = Kysely<DB> | Transaction<DB>;

/** The result of the newest finished effect of these kinds for a release that recorded `key` in its result. */
export async function latestResultWith(db: Db, releaseId: number, kinds: string[], key: string): Promise<Record<string, unknown> | undefined> {
  const row = await db
    .selectFrom('outbox')
    .select('result')
    .where('release_id', '=', releaseId)
    .where('kind', 'in', kinds)
    .where('state', '=', 'done')
    .where(sql<boolean>`result ? ${key}`)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return (row?.result as Record<string, unknown> | null | undefined) ?? undefined;
}

/** A release's effects, other than those of `exceptKinds`, that failed for good, oldest first, with the error each ended on. */
export async function failedEffects(db: Db, releaseId: number, exceptKinds: string[] = []): Promise<{ kind: string; error: string }[]> {
  let query = db.selectFrom('outbox').select(['kind', 'last_error']).where('release_id', '=', releaseId).where('state', '=', 'failed');
  if (exceptKinds.length) query = query.where('kind', 'not in', exceptKinds);
  const rows = await query.orderBy('id').limit(50).execute();
  return rows.map((r) => ({ kind: r.kind, error: r.last_error ?? 'failed' }));
}

/**
 * The people and channels of a release's audience that notices could not reach, with Slack's reason
 * (first `limit`), and how many in all.
 */
export async function unreachedAudience(db: Db, releaseId: number, kinds: string[], limit = 10): Promise<{ total: number; first: { who: string; reason: string }[] }> {
  const base = db
    .selectFrom('outbox')
    .where('release_id', '=', releaseId)
    .where('state', '=', 'failed')
    .where('kind', 'in', kinds);
  const who = sql<string>`coalesce(payload->>'user', payload->>'channel')`;
  const [count, first] = await Promise.all([
    base.select(sql<string>`count(DISTINCT coalesce(payload->>'user', payload->>'channel'))`.as('n')).executeTakeFirstOrThrow(),
    base.select([who.as('who'), sql<string>`min(last_error)`.as('reason')]).groupBy(who).orderBy(who).limit(limit).execute(),
  ]);
  return { total: Number(count.n), first: first.map((r) => ({ who: r.who, reason: r.reason ?? 'failed' })) };
}

/** How many of a release's notices wait for a later moment (a reminder, a reader's morning). */
export async function heldNoticeCount(db: Db, releaseId: number, kinds: string[], now: Date): Promise<number> {
  const row = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('release_id', '=', releaseId)
    .where('state', '=', 'pending')
    .where('kind', 'in', kinds)
    .where('not_before', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The kinds of a release's effects still to be done or under way (not those waiting for a later moment). */
export async function unfinishedEffectKinds(db: Db, releaseId: number, now: Date): Promise<string[]> {
  return (
    await db
      .selectFrom('outbox')
      .select('kind')
      .distinct()
      .where('release_id', '=', releaseId)
      .where('state', 'in', ['pending', 'sending'])
      .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', now)]))
      .execute()
  ).map((r) => r.kind);
}

/** How many effects of any release are still to be done or under way now (the console waits for none). */
export async function unfinishedEffectCount(db: Db, now: Date): Promise<number> {
  const row = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('state', 'in', ['pending', 'sending'])
    .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', now)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
