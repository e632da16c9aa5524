import type { PostedRef } from './perform-effect.ts';
import type { StoredRelease } from '../release.ts';

/** The card's ts while an attempt is posting it: a marker, not a message. */
export const POSTING = 'posting:';

/** The card's message, once it is really posted (not while an attempt holds the posting marker). */
export function postedCard(release: StoredRelease | undefined): PostedRef | undefined {
  if (!release?.cardChannel || !release.cardTs || release.cardTs.startsWith(POSTING)) return undefined;
  return { channel: release.cardChannel, ts: release.cardTs };
}
