import { effectiveRisk } from '../release.ts';
import { z } from 'zod';
import { findOutbox } from '../../store/repositories/outbox.ts';
import { decisionsFor } from '../../store/repositories/decisions.ts';
import { findRelease } from '../../store/repositories/releases.ts';
import { approvalRuleFor, eligibleApprovers } from '../policy.ts';
import { policyOf } from '../settings.ts';
import type { PostedRef } from '../ports/publisher.ts';
import { releaseDetail, type ReleaseDetail } from '../usecases/queries.ts';
import type { CoreContext } from '../context.ts';
import { EffectNotReadyError } from './errors.ts';
import { requirePostedCard } from '../usecases/card-ref.ts';
import { effect } from './effect.ts';
import { releaseId } from './payloads.ts';

const ChasePayload = z.object({ releaseId, revision: z.number().int(), round: z.number().int().optional() });

/** The request still open for this revision with its release, or why there is nothing to chase. */
async function openRequest(ctx: CoreContext, id: number, revision: number): Promise<{ request: PostedRef; detail: ReleaseDetail } | { skipped: string }> {
  const release = await findRelease(ctx.db, id);
  if (!release || release.state !== 'submitted' || release.revision !== revision) return { skipped: 'the request is decided, changed or withdrawn' };
  const posted = await findOutbox(ctx.db, `approval_request:${id}:${revision}`);
  if (posted?.state !== 'done' || !posted.result) throw new EffectNotReadyError('the approval request is not posted yet');
  return { request: posted.result as unknown as PostedRef, detail: await releaseDetail(ctx, id, ctx.db, { history: false }) };
}

/** A reply under the approval request naming only the approvers who have not decided. */
export const approvalReminderEffect = effect({
  kinds: ['approval_reminder'],
  payload: ChasePayload,
  traits: {},
  async perform(ctx, { publisher }, _kind, { releaseId, revision }, { key, retry }) {
    const open = await openRequest(ctx, releaseId, revision);
    if ('skipped' in open) return open;
    const { detail } = open;
    const rule = approvalRuleFor(policyOf(ctx.settings, detail.release.service), detail.release.type, effectiveRisk(detail.release));
    const decided = new Set((await decisionsFor(ctx.db, releaseId, revision)).map((d) => d.approver));
    const undecided = [...(await eligibleApprovers(rule, ctx.settings.groups, ctx.directory))].filter((u) => !decided.has(u) && u !== detail.release.requester).sort();
    if (undecided.length === 0) return { skipped: 'every approver has decided' };
    return { ...(await publisher.postApprovalReminder(detail, open.request, undecided, key, retry)), reminded: undecided.length };
  },
});

/** A DM to each release manager: the request has waited past `escalate_after`. */
export const approvalEscalationEffect = effect({
  kinds: ['approval_escalation'],
  payload: ChasePayload,
  traits: {},
  async perform(ctx, { publisher }, _kind, { releaseId, revision }, { key, retry }) {
    const open = await openRequest(ctx, releaseId, revision);
    if ('skipped' in open) return open;
    const told: string[] = [];
    for (const manager of ctx.settings.releaseManagers) {
      await publisher.postEscalation(open.detail, open.request, manager, `${key}:${manager}`, retry);
      told.push(manager);
    }
    return { told };
  },
});

const ExpiryPayload = z.object({ releaseId, revision: z.number().int(), until: z.string().datetime() });

/** One warning in the card's thread: the approvals lapse before the release starts. */
export const approvalExpiryWarningEffect = effect({
  kinds: ['approval_expiry_warning'],
  payload: ExpiryPayload,
  traits: {},
  async perform(ctx, { publisher }, _kind, { releaseId, revision, until }, { key, retry }) {
    const release = await findRelease(ctx.db, releaseId);
    if (!release || !['approved', 'scheduled'].includes(release.state) || release.revision !== revision) return { skipped: 'the release started, changed or was withdrawn' };
    const card = await requirePostedCard(ctx, releaseId);
    const detail = await releaseDetail(ctx, releaseId, ctx.db, { history: false });
    return { ...(await publisher.postExpiryWarning(detail, card, new Date(until), key, retry)) };
  },
});
