import { z } from 'zod';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';
import { findRelease } from '../../store/repositories/releases.ts';
import { RELEASE_STATES } from '../release.ts';
import type { CoreContext } from '../context.ts';
import type { OutboxMessage } from '../effect.ts';
import { homeAudienceOf, homeFor, homePublished } from '../usecases/home.ts';
import { effect } from './effect.ts';
import { releaseId } from './payloads.ts';

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

const state = z.enum(RELEASE_STATES).optional();
const FanoutPayload = z.object({ releaseId, action: z.string().max(100), before: state, after: state });

/** Finds the people a change affects who use App Home, and asks for one refresh each at the end of the window. */
export const homeFanoutEffect = effect({
  kinds: ['home_fanout'],
  payload: FanoutPayload,
  traits: {},
  async perform(ctx: CoreContext, _ports, _kind, change) {
    const release = await findRelease(ctx.db, change.releaseId);
    if (!release) return { skipped: 'no such release' };
    const users = await homeAudienceOf(ctx, release, change);
    const now = ctx.clock().getTime();
    const windowMs = ctx.homeRefreshMs ?? HOME_REFRESH_MS;
    const window = Math.floor(now / windowMs);
    // Performed when the window ends (not before, on relm's clock), so it shows every change made in it.
    const notBefore = new Date((window + 1) * windowMs);
    const ids = await enqueueOutbox(ctx.db, users.map((user) => ({ kind: 'home_publish', releaseId: null, dedupeKey: homePublishKey(user, window), payload: { user }, notBefore })), new Date(now));
    // Rows already asked for in this window are not new: those people are refreshed once, by the first ask.
    await ctx.effects.dispatch(ids, { notBefore });
    return { users: users.length, queued: ids.length };
  },
});

/** Publishes one person's Home view as it stands now (views.publish). */
export const homePublishEffect = effect({
  kinds: ['home_publish'],
  payload: z.object({ user: z.string().regex(/^[UW][A-Z0-9]{1,40}$/) }),
  traits: {},
  async perform(ctx, { publisher }, _kind, { user }) {
    const home = await homeFor(ctx, user);
    await publisher.publishHome(home);
    await homePublished(ctx, user, home.at);
    return { published: true };
  },
});
