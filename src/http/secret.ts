import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether a secret someone gave is the configured one, in time that does not depend on where they
 * differ: both are hashed first, so their lengths do not show either.
 */
export function sameSecret(given: string | undefined | null, expected: string): boolean {
  if (!given) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
