import { z } from 'zod';
import { bundleCard } from '../usecases/bundles.ts';
import { syncBundle } from '../usecases/bundle-rollout.ts';
import { bundleTicket } from '../usecases/bundle-ticket.ts';
import { claimBundleCard, findBundle, setBundleCard } from '../../store/repositories/bundles.ts';
import { latestAuditSeq } from '../../store/repositories/audit.ts';
import { POSTING } from '../usecases/card-ref.ts';
import { EffectNotReadyError, PermanentEffectError } from './errors.ts';
import { effect } from './effect.ts';

const OfBundle = z.object({ bundleId: z.number().int().positive() });

/** A bundle moves on after a member did something that matters to it (see usecases/bundle-rollout.ts). */
export const bundleSyncEffect = effect({
  kinds: ['bundle_sync'],
  payload: OfBundle,
  traits: {},
  async perform(ctx, _ports, _kind, { bundleId }) {
    const bundle = await syncBundle(ctx, bundleId);
    return { state: bundle.state };
  },
});

/**
 * The bundle's card in the channel it was created in: posted once (claimed with a marker, as a release's
 * card is, so two workers never post two), then updated in place with the latest state.
 */
export const bundleCardEffect = effect({
  kinds: ['bundle_card'],
  payload: OfBundle,
  traits: {},
  async perform(ctx, { publisher, leaseMs }, _kind, { bundleId }) {
    const current = await findBundle(ctx.db, bundleId);
    if (!current) throw new PermanentEffectError(`bundle ${bundleId} is gone`);
    const channel = current.cardChannel ?? current.channel;
    if (!channel) return { skipped: 'the bundle was made outside a channel' };
    const posted = current.cardTs && !current.cardTs.startsWith(POSTING) ? { channel, ts: current.cardTs } : null;
    if (!posted) {
      const now = ctx.clock().getTime();
      const marker = `${POSTING}${now}`;
      const stale = current.cardTs?.startsWith(POSTING) && now - Number(current.cardTs.slice(POSTING.length)) > (leaseMs ?? 60_000);
      if (current.cardTs && !stale) throw new EffectNotReadyError(`the card of bundle ${bundleId} is being posted`);
      if (!(await claimBundleCard(ctx.db, bundleId, current.cardTs, marker))) throw new EffectNotReadyError(`the card of bundle ${bundleId} is being posted`);
      try {
        const ref = await publisher.upsertBundleCard(await bundleCard(ctx, bundleId), channel, null, `bundle-card:${bundleId}`, true);
        await setBundleCard(ctx.db, bundleId, ref.channel, ref.ts);
        return { ...ref };
      } catch (error) {
        await claimBundleCard(ctx.db, bundleId, marker, null);
        throw error;
      }
    }
    // As a release's card: render again if the members changed while this one was being rendered.
    const memberIds = (await bundleCard(ctx, bundleId)).members.map((m) => m.releaseId);
    for (let round = 0; round < 5; round++) {
      const seen = await Promise.all(memberIds.map((id) => latestAuditSeq(ctx.db, id)));
      await publisher.upsertBundleCard(await bundleCard(ctx, bundleId), channel, posted, `bundle-card:${bundleId}`, false);
      const after = await Promise.all(memberIds.map((id) => latestAuditSeq(ctx.db, id)));
      if (after.every((seq, i) => seq <= seen[i]!)) break;
    }
    return { ...posted };
  },
});

/** The bundle's ticket in Jira, listing its members' changes (see usecases/bundle-ticket.ts). */
export const bundleTicketEffect = effect({
  kinds: ['jira_bundle'],
  payload: OfBundle,
  traits: { syncs: 'jira' },
  perform: (ctx, ports, _kind, { bundleId }) => bundleTicket(ctx, ports, bundleId),
});
