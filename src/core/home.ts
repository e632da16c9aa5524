import type { OutboxMessage } from './effect.ts';

// App Home refreshes as data: which changes ask for one, and the key that makes a window's asks one
// publish per person. The effects that perform them are in effects/home.ts.

/** Within this window, however much changes, each person's Home is published once (at its end). */
export const HOME_REFRESH_MS = 10_000;

/** Changes that alter what a Home shows besides a state move: a new plan, a decision, a new time. */
const HOME_ACTIONS = new Set(['planned', 'approval_given', 'replanned', 'rescheduled', 'scheduled']);

/** The Home refresh a recorded change asks for, if it alters anything a Home shows; keyed by the audit entry. */
export function homeRefreshEffect(change: { releaseId: number; action: string; before?: string; after?: string }, seq: number): OutboxMessage[] {
  const moved = change.after !== undefined && change.after !== change.before;
  if (!moved && !HOME_ACTIONS.has(change.action)) return [];
  const payload = { releaseId: change.releaseId, action: change.action, ...(change.before ? { before: change.before } : {}), ...(change.after ? { after: change.after } : {}) };
  return [{ kind: 'home_fanout', releaseId: change.releaseId, dedupeKey: `home:fanout:${seq}`, payload }];
}

/**
 * The key of one person's Home refresh in one window: every change in the window asks for the same
 * row, so it is written and published once, at the window's end, showing everything as it is then.
 */
export function homePublishKey(user: string, window: number): string {
  return `home:publish:${user}:${window}`;
}

