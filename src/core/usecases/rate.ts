import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { releaseKey } from '../release.ts';
import { upsertRating } from '../../store/repositories/ratings.ts';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';
import { loadRelease } from './load.ts';

/** Releases whose outcome the audience can judge: live, or taken back. */
const RATEABLE = new Set(['completed', 'rolled_back']);

/**
 * Records how a release went for one person (1 to 5). One rating per person per release: rating
 * again changes it, so a double click or a second thought never counts twice.
 */
export async function rateRelease(ctx: CoreContext, actor: string, id: number, score: number): Promise<{ changed: boolean }> {
  if (!Number.isInteger(score) || score < 1 || score > 5) throw new DomainError('invalid_input', 'A rating is a whole number from 1 to 5.');
  const release = await loadRelease(ctx.db, id);
  if (!RATEABLE.has(release.state)) throw new DomainError('illegal_transition', `${releaseKey(id)} is not rolled out yet; it can be rated once it is done.`);
  const now = ctx.clock();
  const result = await upsertRating(ctx.db, { releaseId: id, rater: actor, score }, now);
  // The card shows the count and the mean: refresh it (the card effect renders whatever is newest).
  await ctx.effects.dispatch(await enqueueOutbox(ctx.db, [{ kind: 'card', releaseId: id, dedupeKey: `card:${id}:rated:${actor}:${now.getTime()}`, payload: { releaseId: id } }], now));
  return result;
}
