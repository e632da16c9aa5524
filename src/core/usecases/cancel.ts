import type { Transaction } from 'kysely';
import type { DB } from '../../store/schema.ts';
import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { nextState, transition } from '../lifecycle.ts';
import { JIRA_APPROVER } from '../approvals.ts';
import { policyOf } from '../settings.ts';
import { releaseKey, type StoredRelease } from '../release.ts';
import { firstDelivery } from '../../store/repositories/deliveries.ts';
import { updateReleaseIf } from '../../store/repositories/releases.ts';
import { assertOwnerOrManager } from './access.ts';
import { loadRelease } from './load.ts';
import { changeTransaction, recordChange, snapshot } from './record-change.ts';
import { bundleSyncFor } from './bundle-sync-effect.ts';
import { closeApprovalRequestEffect } from './submit.ts';
import { conflictsForRelease, otherCards } from './conflicts.ts';

/** Cancels a release that has not started rolling out. */
export async function cancelRelease(ctx: CoreContext, actor: string, id: number, reason: string): Promise<StoredRelease> {
  const now = ctx.clock();
  const result = await changeTransaction(ctx, async (trx) => {
    const current = await loadRelease(trx, id, { lock: true });
    assertOwnerOrManager(ctx.settings, current, actor, 'cancel it');
    return cancelIn(ctx, trx, current, actor, reason, now);
  });
  await ctx.effects.dispatch(result.outboxIds);
  return result.release;
}

async function cancelIn(ctx: CoreContext, trx: Transaction<DB>, current: StoredRelease, actor: string, reason: string, now: Date): Promise<{ release: StoredRelease; outboxIds: number[] }> {
  const to = transition(current, 'cancel');
  const release = await updateReleaseIf(trx, current.id, current.state, { state: to, updated_at: now });
  if (!release) throw new DomainError('conflict', `${releaseKey(current.id)} changed while you were cancelling it.`);
  // The releases it overlapped no longer do: their cards say so.
  const effects = [...(current.state === 'submitted' ? [closeApprovalRequestEffect(release, release.revision, 'cancelled')] : []), ...otherCards(current.id, await conflictsForRelease(ctx, trx, current), [], now), ...(await bundleSyncFor(trx, current.id, 'cancelled', now))];
  const change = await recordChange(trx, { release, actor, action: 'cancelled', before: snapshot(current), after: { ...snapshot(release), reason: reason.trim() || null }, at: now, effects });
  return { release, outboxIds: change.outboxIds };
}

/**
 * The change was cancelled in Jira: where the policy takes Jira as an approval source, the release is
 * cancelled too, if it has not started rolling out (a rollout is stopped with abort or rollback, in relm).
 */
export async function jiraCancelled(ctx: CoreContext, id: number, who: string, delivery?: string): Promise<'cancelled' | 'ignored' | 'duplicate'> {
  const now = ctx.clock();
  return changeTransaction(ctx, async (trx) => {
    if (delivery && !(await firstDelivery(trx, delivery, now))) return 'duplicate';
    const current = await loadRelease(trx, id, { lock: true });
    if (policyOf(ctx.settings, current.service).approvalSource === 'slack' || !nextState(current.state, 'cancel')) return 'ignored';
    await cancelIn(ctx, trx, current, JIRA_APPROVER, `cancelled in Jira by ${who}`, now);
    return 'cancelled';
  });
}
