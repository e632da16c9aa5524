import { z } from 'zod';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';
import { findRelease } from '../../store/repositories/releases.ts';
import { RELEASE_STATES } from '../release.ts';
import type { CoreContext } from '../context.ts';
import { homeAudienceOf, homeFor, homePublished } from '../usecases/home.ts';
import { effect } from './effect.ts';
import { releaseId } from './payloads.ts';
import { HOME_REFRESH_MS, homePublishKey } from '../home.ts';

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
