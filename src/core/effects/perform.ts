import type { CoreContext } from '../context.ts';
import type { EffectPorts } from '../ports/effect-ports.ts';
import { claimOutbox, completeOutbox, deferOutbox, earlierUndone, enqueueOutbox, failOutbox } from '../../store/repositories/outbox.ts';
import { EffectDeferredError, EffectNotReadyError, PermanentEffectError } from './errors.ts';
import { effectOf, kindsInGroup } from './index.ts';

const MAX_NOT_READY_ATTEMPTS = 30;

export type EffectOutcome = 'done' | 'already_done' | 'busy' | 'failed' | { deferredUntil: Date };

/**
 * Performs one outbox row by its kind's definition: at most one attempt at a time per row (claimed
 * under a row lock), and a completed row is never performed again, so retries, relays and two
 * workers cannot double a post.
 */
export async function performEffect(ctx: CoreContext, ports: EffectPorts, outboxId: number): Promise<EffectOutcome> {
  const row = await claimOutbox(ctx.db, outboxId, ctx.clock(), ports.leaseMs);
  if (row === 'done') return 'already_done';
  // Another worker is performing it right now; if that attempt dies, its lease runs out and the relay
  // hands the row out again.
  if (row === 'busy') return 'busy';
  // Its moment has not come (a job run early, or revived by the relay): the caller delays the job.
  if ('deferredUntil' in row) return row;
  const definition = effectOf(row.kind);
  const releaseId = row.release_id;
  // An effect that waits for another (a note for a card that could never be posted) gives up in the end,
  // but not while an earlier effect of its release is still being tried: through an outage of any
  // length, the note waits for its card. Asked before the attempt, not after it fails: an earlier effect
  // finishing in between (the ticket raised a moment after this row found it missing) makes this row
  // ready for its next try, not a lost cause.
  const mayGiveUp = row.attempts >= MAX_NOT_READY_ATTEMPTS && !(releaseId && (await earlierUndone(ctx.db, releaseId, outboxId)));
  try {
    if (!definition) throw new PermanentEffectError(`unknown effect kind "${row.kind}"`);
    const payload = definition.payload.safeParse(row.payload);
    if (!payload.success) throw new PermanentEffectError(`effect ${row.kind} has a payload it cannot read: ${payload.error.issues[0]?.message ?? 'invalid'}`);
    const group = definition.traits.orderedGroup;
    if (group && releaseId && (await earlierUndone(ctx.db, releaseId, outboxId, kindsInGroup(group)))) {
      throw new EffectNotReadyError('an earlier change to the change ticket is not made yet');
    }
    const result = await definition.perform(ctx, ports, row.kind, payload.data, { outboxId, key: row.dedupe_key, retry: row.previousState === 'sending' });
    const doneAt = ctx.clock();
    await completeOutbox(ctx.db, outboxId, result, doneAt);
    ctx.telemetry?.effectDone(row.kind, doneAt.getTime() - new Date(row.created_at).getTime());
    return 'done';
  } catch (error) {
    if (error instanceof EffectDeferredError) {
      await deferOutbox(ctx.db, outboxId, error.until);
      return { deferredUntil: error.until };
    }
    const exhausted = error instanceof EffectNotReadyError && mayGiveUp;
    const permanent = exhausted || error instanceof PermanentEffectError;
    await failOutbox(ctx.db, outboxId, (error as Error).message, permanent);
    if (permanent && releaseId && definition?.traits.syncs) {
      // The card says what Jira or GitHub refused, as `show` does.
      const ids = await enqueueOutbox(ctx.db, [{ kind: 'card', releaseId, dedupeKey: `card:${releaseId}:sync-failed:${outboxId}`, payload: { releaseId } }], ctx.clock());
      await ctx.effects.dispatch(ids);
    }
    if (permanent) return 'failed';
    throw error;
  }
}
