import { z } from 'zod';
import { requirePostedCard } from '../usecases/card-ref.ts';
import { releaseDetail } from '../usecases/queries.ts';
import { effect } from './effect.ts';
import { releaseId } from './payloads.ts';

/** A milestone (approved, completed, rolled back) told in the card's thread. */
export const announceEffect = effect({
  kinds: ['announce'],
  payload: z.object({ releaseId, event: z.string().optional() }),
  traits: {},
  async perform(ctx, { publisher }, _kind, payload, { key, retry }) {
    const detail = await releaseDetail(ctx, payload.releaseId, ctx.db, { history: false });
    return { ...(await publisher.announce(detail, await requirePostedCard(ctx, payload.releaseId), payload.event ?? 'update', key, retry)) };
  },
});

/** A warning in a service's channel that is not about one release (an unauthorised version). */
export const alertEffect = effect({
  kinds: ['alert'],
  payload: z.object({ channel: z.string(), service: z.string(), version: z.string(), kind: z.string(), detail: z.string(), url: z.string().nullable() }),
  traits: {},
  perform: async (_ctx, { publisher }, _kind, alert, { key, retry }) => ({ ...(await publisher.postAlert(alert, key, retry)) }),
});
