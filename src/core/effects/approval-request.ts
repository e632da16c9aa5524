import { z } from 'zod';
import { findOutbox } from '../../store/repositories/outbox.ts';
import type { PostedRef } from '../ports/publisher.ts';
import { requirePostedCard } from '../usecases/card-ref.ts';
import { releaseDetail } from '../usecases/queries.ts';
import { EffectNotReadyError } from './errors.ts';
import { effect } from './effect.ts';
import { OfRelease, releaseId } from './payloads.ts';

/** Asks the approvers, under the card, with Approve and Reject buttons. */
export const approvalRequestEffect = effect({
  kinds: ['approval_request'],
  payload: OfRelease.extend({ revision: z.number().int().optional() }),
  traits: {},
  async perform(ctx, { publisher }, _kind, { releaseId }, { key, retry }) {
    const detail = await releaseDetail(ctx, releaseId, ctx.db, { history: false });
    return { ...(await publisher.postApprovalRequest(detail, await requirePostedCard(ctx, releaseId), key, retry)) };
  },
});

/** Closes an approval request once its revision is decided, superseded or cancelled. */
export const approvalRequestClosedEffect = effect({
  kinds: ['approval_request_closed'],
  payload: z.object({ releaseId, revision: z.number().int(), outcome: z.string().optional() }),
  traits: {},
  async perform(ctx, { publisher }, _kind, payload) {
    const request = await findOutbox(ctx.db, `approval_request:${payload.releaseId}:${payload.revision}`);
    if (!request) return { skipped: 'no request was posted' };
    if (request.state !== 'done' || !request.result) throw new EffectNotReadyError('the approval request is not posted yet');
    const detail = await releaseDetail(ctx, payload.releaseId, ctx.db, { history: false });
    await publisher.closeApprovalRequest(detail, request.result as unknown as PostedRef, payload.revision, payload.outcome ?? 'closed');
    return { closed: true };
  },
});
