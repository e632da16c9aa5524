import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../schema.ts';

type Db = Kysely<DB> | Transaction<DB>;

/** One person's rating of a release, with their comment if they left one. */
export interface Rating {
  rater: string;
  score: number;
  comment: string | null;
  ratedAt: Date;
}

/**
 * Records a person's rating of a release; a second rating by the same person replaces the first.
 * With `comment` (a string, or null to remove it) their comment is set too; without it, kept.
 */
export async function upsertRating(db: Db, rating: { releaseId: number; rater: string; score: number; comment?: string | null }, at: Date): Promise<{ changed: boolean }> {
  const comment = rating.comment === undefined ? {} : { comment: rating.comment, commented_at: rating.comment === null ? null : at };
  const row = await db
    .insertInto('ratings')
    .values({ release_id: rating.releaseId, rater: rating.rater, score: rating.score, rated_at: at, ...comment })
    .onConflict((oc) => oc.columns(['release_id', 'rater']).doUpdateSet({ score: rating.score, rated_at: at, ...comment }))
    .returning(sql<boolean>`xmax <> 0`.as('changed'))
    .executeTakeFirstOrThrow();
  return { changed: Boolean(row.changed) };
}

/** This person's rating of the release, if any. */
export async function ratingBy(db: Db, releaseId: number, rater: string): Promise<Rating | undefined> {
  const row = await db.selectFrom('ratings').select(['rater', 'score', 'comment', 'rated_at']).where('release_id', '=', releaseId).where('rater', '=', rater).executeTakeFirst();
  return row ? { rater: row.rater, score: row.score, comment: row.comment, ratedAt: row.rated_at } : undefined;
}

/** How many people rated a release, their mean score (null with no ratings) and the latest comments. */
export async function ratingSummary(db: Db, releaseId: number, comments = 3): Promise<{ responses: number; mean: number | null; comments: Rating[] }> {
  const row = await db
    .selectFrom('ratings')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.avg<string | null>('score').as('mean')])
    .where('release_id', '=', releaseId)
    .executeTakeFirstOrThrow();
  const latest = await db
    .selectFrom('ratings')
    .select(['rater', 'score', 'comment', 'commented_at'])
    .where('release_id', '=', releaseId)
    .where('comment', 'is not', null)
    .orderBy('commented_at', 'desc')
    .orderBy('rater')
    .limit(comments)
    .execute();
  return {
    responses: Number(row.n),
    mean: row.mean === null ? null : Number(row.mean),
    comments: latest.map((r) => ({ rater: r.rater, score: r.score, comment: r.comment, ratedAt: r.commented_at! })),
  };
}
