import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { releaseKey } from '../release.ts';
import { ratingBy, upsertRating, type Rating } from '../../store/repositories/ratings.ts';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';
import { loadRelease } from './load.ts';

/** Releases whose outcome the audience can judge: live, or taken back. */
const RATEABLE = new Set(['completed', 'rolled_back']);

/** The longest comment a person may leave with their rating (the database holds no more). */
export const RATING_COMMENT_MAX = 1_000;

async function rateable(ctx: CoreContext, id: number): Promise<void> {
  const release = await loadRelease(ctx.db, id);
  if (!RATEABLE.has(release.state)) throw new DomainError('illegal_transition', `${releaseKey(id)} is not rolled out yet; it can be rated once it is done.`);
}

/**
 * Records how a release went for one person (1 to 5), and with `comment` their comment (null removes
 * it; left out, an earlier comment stays). One rating per person per release: rating again changes it,
 * so a double click or a second thought never counts twice.
 */
export async function rateRelease(ctx: CoreContext, actor: string, id: number, score: number, comment?: string | null): Promise<{ changed: boolean }> {
  if (!Number.isInteger(score) || score < 1 || score > 5) throw new DomainError('invalid_input', 'A rating is a whole number from 1 to 5.');
  const text = typeof comment === 'string' ? comment.trim() || null : comment;
  if (typeof text === 'string' && text.length > RATING_COMMENT_MAX) throw new DomainError('invalid_input', `A comment is at most ${RATING_COMMENT_MAX} characters; yours has ${text.length}.`);
  await rateable(ctx, id);
  const now = ctx.clock();
  const result = await upsertRating(ctx.db, { releaseId: id, rater: actor, score, ...(text !== undefined ? { comment: text } : {}) }, now);
  // The card shows the count and the mean: refresh it (the card effect renders whatever is newest).
  await ctx.effects.dispatch(await enqueueOutbox(ctx.db, [{ kind: 'card', releaseId: id, dedupeKey: `card:${id}:rated:${actor}:${now.getTime()}`, payload: { releaseId: id } }], now));
  return result;
}

/** What a person rated a release so far (for the comment form), once it can be rated at all. */
export async function myRating(ctx: CoreContext, actor: string, id: number): Promise<Rating | undefined> {
  await rateable(ctx, id);
  return ratingBy(ctx.db, id, actor);
}
