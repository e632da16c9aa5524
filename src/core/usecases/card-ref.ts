import type { PostedRef } from '../ports/publisher.ts';
import type { StoredRelease } from '../release.ts';
import type { CoreContext } from '../context.ts';
import { findRelease } from '../../store/repositories/releases.ts';
import { EffectNotReadyError } from '../effects/errors.ts';

/** The card's ts while an attempt is posting it: a marker, not a message. */
export const POSTING = 'posting:';

/** The card's message, once it is really posted (not while an attempt holds the posting marker). */
export function postedCard(release: StoredRelease | undefined): PostedRef | undefined {
  if (!release?.cardChannel || !release.cardTs || release.cardTs.startsWith(POSTING)) return undefined;
  return { channel: release.cardChannel, ts: release.cardTs };
}

/** The card of a release, for an effect that posts under it; not posted yet means try again later. */
export async function requirePostedCard(ctx: CoreContext, releaseId: number): Promise<PostedRef> {
  const card = postedCard(await findRelease(ctx.db, releaseId));
  if (!card) throw new EffectNotReadyError(`the card of release ${releaseId} is not posted yet`);
  return card;
}
