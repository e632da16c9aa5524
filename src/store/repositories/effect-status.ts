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

/** A release's effects that failed for good, oldest first, with the error each ended on. */
export async function failedEffects(db: Db, releaseId: number): Promise<{ kind: string; error: string }[]> {
  const rows = await db.selectFrom('outbox').select(['kind', 'last_error']).where('release_id', '=', releaseId).where('state', '=', 'failed').orderBy('id').execute();
  return rows.map((r) => ({ kind: r.kind, error: r.last_error ?? 'failed' }));
}

/** The kinds of a release's effects still to be done or under way. */
export async function unfinishedEffectKinds(db: Db, releaseId: number): Promise<string[]> {
  return (await db.selectFrom('outbox').select('kind').where('release_id', '=', releaseId).where('state', 'in', ['pending', 'sending']).execute()).map((r) => r.kind);
}

/** How many effects of any release are still to be done or under way (the console waits for none). */
export async function unfinishedEffectCount(db: Db): Promise<number> {
  const row = await db.selectFrom('outbox').select((eb) => eb.fn.countAll<string>().as('n')).where('state', 'in', ['pending', 'sending']).executeTakeFirstOrThrow();
  return Number(row.n);
}
