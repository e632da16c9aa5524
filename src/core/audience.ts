import type { ReleaseState } from './release.ts';

/** What the people a release affects are told of, in order of a release's life. */
export const AUDIENCE_EVENTS = ['scheduled', 'rescheduled', 'on_hold', 'started', 'paused', 'resumed', 'completed', 'failed', 'rolled_back', 'cancelled'] as const;
export type AudienceEvent = (typeof AUDIENCE_EVENTS)[number];

/** Once authorised, a release is the audience's business; before that, it is only the team's. */
const TOLD = new Set<ReleaseState>(['scheduled', 'in_progress', 'paused', 'completed', 'failed', 'rolled_back']);

/**
 * What a change to a release means for its audience, if anything: its audit action and the states
 * before and after. A plan that is still being approved is nobody else's news yet.
 */
export function audienceEventOf(action: string, before: ReleaseState | undefined, after: ReleaseState | undefined): AudienceEvent | undefined {
  if (action === 'rescheduled' && after === 'scheduled') return 'rescheduled';
  if (!after || after === before) return undefined;
  if (after === 'scheduled') return before === 'in_progress' || before === 'paused' ? undefined : 'scheduled';
  if (after === 'in_progress') return before === 'paused' ? 'resumed' : 'started';
  if (after === 'paused') return 'paused';
  if (after === 'completed') return 'completed';
  if (after === 'failed') return 'failed';
  if (after === 'rolled_back') return 'rolled_back';
  if (after === 'cancelled') return before && TOLD.has(before) ? 'cancelled' : undefined;
  // An authorised plan that changed goes back for approval: the audience hears it is on hold.
  if (after === 'submitted' && before && TOLD.has(before)) return 'on_hold';
  return undefined;
}

/** The audience entries that are channels (C…/G…): told in one message per release, updated in place. */
export function audienceChannels(audience: readonly string[]): string[] {
  return audience.filter((entry) => /^[CG][A-Z0-9]+$/.test(entry));
}

/** The key of the one message a release has in an audience channel. */
export function audienceNoticeKey(releaseId: number, channel: string): string {
  return `audience:notice:${releaseId}:${channel}`;
}

/**
 * What a person can be told of personally: every audience event, a reminder before the start, and the
 * question how it went, asked when early life support ends (or with the completion, without it).
 */
export const NOTICE_EVENTS = [...AUDIENCE_EVENTS, 'reminder', 'rate'] as const;
export type NoticeEvent = (typeof NOTICE_EVENTS)[number];

/** Whether an audience entry names people (a user, a user group, or a name under groups:) rather than a channel. */
export function isPersonalEntry(entry: string): boolean {
  return !/^[CG][A-Z0-9]+$/.test(entry);
}

/** The people an audience names, each once: users as they are, user groups and group names expanded. */
export async function audiencePeople(audience: readonly string[], groups: Record<string, string[]>, directory: { userGroupMembers(id: string): Promise<string[]> }): Promise<string[]> {
  const people = new Set<string>();
  for (const entry of audience.filter(isPersonalEntry)) {
    if (/^[UW][A-Z0-9]+$/.test(entry)) people.add(entry);
    else if (/^S[A-Z0-9]+$/.test(entry)) for (const user of await directory.userGroupMembers(entry)) people.add(user);
    else for (const user of Object.hasOwn(groups, entry) ? groups[entry]! : []) people.add(user);
  }
  return [...people].sort();
}

/** Every key of a release's reminders starts so, so a reschedule or a cancel can withdraw them all. */
export function reminderPrefix(releaseId: number): string {
  return `remind:${releaseId}:`;
}

/** The key stem of one reminder: this release, this planned start, this long before it. */
export function reminderKey(releaseId: number, startMs: number, beforeMs: number): string {
  return `${reminderPrefix(releaseId)}${startMs}:${beforeMs}`;
}

/**
 * A reminder is no longer worth sending once a shorter one is also due (relm was down through both:
 * one reminder, the latest, not two at once).
 */
export function reminderSuperseded(beforeMs: number, all: readonly number[], startMs: number, now: Date): boolean {
  return all.some((other) => other < beforeMs && now.getTime() >= startMs - other);
}

/**
 * What a notice of `event` says about the rating and early life support: with `early_life_support` in
 * the release's deployment model, the completion names the support period and the rating is asked
 * when it ends; without it, the completion (or a rollback) asks at once.
 */
export function ratingTerms(event: NoticeEvent, earlyLifeSupportMs: number | undefined, finishedAt: Date | null): { askRating: boolean; supportUntil?: Date } {
  if (event === 'rate' || event === 'rolled_back') return { askRating: true };
  if (event !== 'completed') return { askRating: false };
  if (!earlyLifeSupportMs) return { askRating: true };
  return { askRating: false, ...(finishedAt ? { supportUntil: new Date(finishedAt.getTime() + earlyLifeSupportMs) } : {}) };
}
