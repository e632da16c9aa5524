import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../schema.ts';

type Db = Kysely<DB> | Transaction<DB>;

/** Records a person's rating of a release; a second rating by the same person replaces the first. */
export async function upsertRating(db: Db, rating: { releaseId: number; rater: string; score: number }, at: Date): Promise<{ changed: boolean }> {
  const row = await db
    .insertInto('ratings')
    .values({ release_id: rating.releaseId, rater: rating.rater, score: rating.score, rated_at: at })
    .onConflict((oc) => oc.columns(['release_id', 'rater']).doUpdateSet({ score: rating.score, rated_at: at }))
    .returning(sql<boolean>`xmax <> 0`.as('changed'))
    .executeTakeFirstOrThrow();
  return { changed: Boolean(row.changed) };
}

/** How many people rated a release and their mean score (null with no ratings). */
export async function ratingSummary(db: Db, releaseId: number): Promise<{ responses: number; mean: number | null }> {
  const row = await db
    .selectFrom('ratings')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.avg<string | null>('score').as('mean')])
    .where('release_id', '=', releaseId)
    .executeTakeFirstOrThrow();
  return { responses: Number(row.n), mean: row.mean === null ? null : Number(row.mean) };
}
