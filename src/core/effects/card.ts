import { claimCardPost, findRelease, setCard } from '../../store/repositories/releases.ts';
import { latestAuditSeq } from '../../store/repositories/audit.ts';
import { serviceOf } from '../settings.ts';
import type { PostedRef } from '../ports/publisher.ts';
import { POSTING, postedCard } from '../usecases/card-ref.ts';
import { releaseDetail } from '../usecases/queries.ts';
import { EffectNotReadyError, PermanentEffectError } from './errors.ts';
import { effect } from './effect.ts';
import { OfRelease } from './payloads.ts';

/** The release card: posted once, then updated in place with the latest state. */
export const cardEffect = effect({
  kinds: ['card'],
  payload: OfRelease,
  traits: {},
  async perform(ctx, { publisher, leaseMs }, _kind, { releaseId }) {
    const current = await findRelease(ctx.db, releaseId);
    if (!current) throw new PermanentEffectError(`release ${releaseId} is gone`);
    if (!postedCard(current)) {
      // The first post is claimed with a marker (no transaction is held over the Slack call); a
      // marker older than the lease belongs to an attempt that died, and is taken over.
      const now = ctx.clock().getTime();
      const marker = `${POSTING}${now}`;
      const stale = current.cardTs?.startsWith(POSTING) && now - Number(current.cardTs.slice(POSTING.length)) > (leaseMs ?? 60_000);
      if (current.cardTs && !stale) throw new EffectNotReadyError(`the card of release ${current.id} is being posted`);
      if (!(await claimCardPost(ctx.db, current.id, current.cardTs, marker))) throw new EffectNotReadyError(`the card of release ${current.id} is being posted`);
      const channel = current.cardChannel ?? serviceOf(ctx.settings, current.service).channel;
      const detail = await releaseDetail(ctx, releaseId, ctx.db, { history: false });
      // Always look first: an attempt that died may have posted before it could record the card.
      let ref: PostedRef;
      try {
        ref = await publisher.upsertCard({ ...detail, release: { ...detail.release, cardChannel: channel } }, null, `card:${current.id}`, true);
      } catch (error) {
        // Give the marker back so the retry (or another card effect) can post at once.
        await claimCardPost(ctx.db, current.id, marker, null);
        throw error;
      }
      await setCard(ctx.db, current.id, ref.channel, ref.ts);
      return { ...ref };
    }
    // Updates hold no lock: an update that rendered an older state than the newest is simply run again,
    // so whichever finishes last, the card shows the latest.
    const card = postedCard(current)!;
    for (let round = 0; round < 5; round++) {
      const rendered = await latestAuditSeq(ctx.db, releaseId);
      await publisher.upsertCard(await releaseDetail(ctx, releaseId, ctx.db, { history: false }), card, `card:${current.id}`, false);
      if ((await latestAuditSeq(ctx.db, releaseId)) <= rendered) break;
    }
    return { ...card };
  },
});
