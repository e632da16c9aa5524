import { DomainError } from '../errors.ts';
import { releaseKey, type Release } from '../release.ts';
import type { Settings } from '../settings.ts';
import { whoMark } from '../text.ts';

export function isReleaseManager(settings: Settings, user: string): boolean {
  return settings.releaseManagers.includes(user);
}

/** The requester and release managers may change, submit or cancel a plan. */
export function assertOwnerOrManager(settings: Settings, release: Release, user: string, what: string): void {
  if (release.requester === user || isReleaseManager(settings, user)) return;
  throw new DomainError('not_authorised', `Only ${whoMark(release.requester)} (who planned ${releaseKey(release.id)}) or a release manager can ${what}.`);
}
