import { z } from 'zod';
import { digestContent } from '../usecases/digest.ts';
import { effect } from './effect.ts';

/** A KPI digest in its channel: the figures, then the weekly trend chart (see usecases/digest.ts). */
export const digestEffect = effect({
  kinds: ['digest'],
  payload: z.object({ digestId: z.string(), from: z.iso.datetime(), to: z.iso.datetime() }),
  traits: {},
  async perform(ctx, { publisher }, _kind, payload, { key, retry }) {
    const digest = ctx.settings.digests.find((d) => d.id === payload.digestId);
    // Taken out of relm.yml between the firing and now: nobody asks for it any more.
    if (!digest) return { skipped: 'the digest is no longer in relm.yml' };
    const content = await digestContent(ctx, digest, new Date(payload.from), new Date(payload.to));
    return { ...(await publisher.postDigest(content, key, retry)) };
  },
});
