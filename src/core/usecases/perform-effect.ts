import type { CoreContext } from '../context.ts';
import type { AuditEntry } from '../audit.ts';
import { claimOutbox, completeOutbox, failOutbox, findOutbox } from '../../store/repositories/outbox.ts';
import { findRelease, setCard } from '../../store/repositories/releases.ts';
import { releaseDetail, type ReleaseDetail } from './queries.ts';

export interface PostedRef {
  channel: string;
  ts: string;
}

/**
 * Where release news goes (Slack in relm). Every post takes an idempotency key; when `retry` is true an
 * earlier attempt may have posted already, and the publisher must look for it before posting again.
 */
export interface Publisher {
  upsertCard(detail: ReleaseDetail, card: PostedRef | null, key: string, retry: boolean): Promise<PostedRef>;
  postThreadNote(detail: ReleaseDetail, card: PostedRef, entry: AuditEntry, key: string, retry: boolean): Promise<PostedRef>;
  postApprovalRequest(detail: ReleaseDetail, card: PostedRef, key: string, retry: boolean): Promise<PostedRef>;
  closeApprovalRequest(detail: ReleaseDetail, request: PostedRef, revision: number, outcome: string): Promise<void>;
  announce(detail: ReleaseDetail, card: PostedRef, event: string, key: string, retry: boolean): Promise<PostedRef>;
}

/** Thrown by a publisher when retrying cannot help; the effect is marked failed for good. */
export class PermanentEffectError extends Error {
  override name = 'PermanentEffectError';
}

/** Thrown when an effect must wait for another (a thread note before its card exists). */
export class EffectNotReadyError extends Error {
  override name = 'EffectNotReadyError';
}

export type EffectOutcome = 'done' | 'already_done' | 'failed';

/**
 * Performs one outbox row: at most one attempt at a time per row (claimed under a row lock), and a
 * completed row is never performed again, so retries, relays and two workers cannot double a post.
 */
export async function performEffect(ctx: CoreContext, publisher: Publisher, outboxId: number): Promise<EffectOutcome> {
  const row = await claimOutbox(ctx.db, outboxId);
  if (!row) return 'already_done';
  const retry = row.previousState === 'sending';
  const payload = row.payload as { releaseId: number; auditSeq?: number; revision?: number; outcome?: string; event?: string };
  try {
    const result = await run(ctx, publisher, row.kind, row.dedupe_key, payload, retry);
    await completeOutbox(ctx.db, outboxId, result, ctx.clock());
    return 'done';
  } catch (error) {
    const permanent = error instanceof PermanentEffectError || (error as Error).name === 'PermanentSlackError';
    await failOutbox(ctx.db, outboxId, (error as Error).message, permanent);
    if (permanent) return 'failed';
    throw error;
  }
}

async function cardOf(ctx: CoreContext, releaseId: number): Promise<PostedRef> {
  const release = await findRelease(ctx.db, releaseId);
  if (!release?.cardChannel || !release.cardTs) throw new EffectNotReadyError(`the card of release ${releaseId} is not posted yet`);
  return { channel: release.cardChannel, ts: release.cardTs };
}

async function run(
  ctx: CoreContext,
  publisher: Publisher,
  kind: string,
  key: string,
  payload: { releaseId: number; auditSeq?: number; revision?: number; outcome?: string; event?: string },
  retry: boolean,
): Promise<Record<string, unknown>> {
  switch (kind) {
    case 'card': {
      // The row lock orders card writers, so the card is posted once and the last writer shows the newest state.
      return ctx.db.transaction().execute(async (trx) => {
        const release = await findRelease(trx, payload.releaseId, { lock: true });
        if (!release) throw new PermanentEffectError(`release ${payload.releaseId} is gone`);
        const detail = await releaseDetail(ctx, payload.releaseId, trx);
        const existing = release.cardTs && release.cardChannel ? { channel: release.cardChannel, ts: release.cardTs } : null;
        const ref = await publisher.upsertCard(detail, existing, `card:${release.id}`, retry || existing === null);
        if (!existing) await setCard(trx, release.id, ref.channel, ref.ts);
        return { ...ref };
      });
    }
    case 'thread_note': {
      const detail = await releaseDetail(ctx, payload.releaseId);
      const entry = detail.history.find((e) => e.seq === payload.auditSeq);
      if (!entry) throw new PermanentEffectError(`audit entry ${payload.auditSeq} is not in release ${payload.releaseId}'s history`);
      return { ...(await publisher.postThreadNote(detail, await cardOf(ctx, payload.releaseId), entry, key, retry)) };
    }
    case 'approval_request': {
      const detail = await releaseDetail(ctx, payload.releaseId);
      return { ...(await publisher.postApprovalRequest(detail, await cardOf(ctx, payload.releaseId), key, retry)) };
    }
    case 'approval_request_closed': {
      const request = await findOutbox(ctx.db, `approval_request:${payload.releaseId}:${payload.revision}`);
      if (!request) return { skipped: 'no request was posted' };
      if (request.state !== 'done' || !request.result) throw new EffectNotReadyError('the approval request is not posted yet');
      const detail = await releaseDetail(ctx, payload.releaseId);
      await publisher.closeApprovalRequest(detail, request.result as unknown as PostedRef, payload.revision!, payload.outcome ?? 'closed');
      return { closed: true };
    }
    case 'announce': {
      const detail = await releaseDetail(ctx, payload.releaseId);
      return { ...(await publisher.announce(detail, await cardOf(ctx, payload.releaseId), payload.event ?? 'update', key, retry)) };
    }
    default:
      throw new PermanentEffectError(`unknown effect kind "${kind}"`);
  }
}
