import { firstDelivery } from '../../store/repositories/deliveries.ts';
import type { CoreContext } from '../context.ts';
import { JIRA_APPROVER, policyApproval, type ApprovalStatus } from '../approvals.ts';
import type { Transaction } from 'kysely';
import type { DB } from '../../store/schema.ts';
import { DomainError } from '../errors.ts';
import { nextState, transition } from '../lifecycle.ts';
import { githubEffects, wakeEffect } from './rollout/effects.ts';
import { approvalRuleFor, eligibleApprovers } from '../policy.ts';
import { policyOf } from '../settings.ts';
import { effectiveRisk, releaseKey, type StoredRelease } from '../release.ts';
import { whoMark } from '../text.ts';
import { decisionsFor, recordDecision } from '../../store/repositories/decisions.ts';
import { updateReleaseIf } from '../../store/repositories/releases.ts';
import { loadRelease } from './load.ts';
import { changeTransaction, recordChange, snapshot } from './record-change.ts';
import { closeApprovalRequestEffect } from './submit.ts';

export interface DecisionResult {
  release: StoredRelease;
  status: ApprovalStatus;
  /** True when this decision moved the release (approved or rejected). */
  decisive: boolean;
}

/** A button carries the revision its approver saw; a decision on an outdated plan must not count. */
function assertSameRevision(release: StoredRelease, seenRevision: number | undefined): void {
  if (seenRevision !== undefined && seenRevision !== release.revision) {
    throw new DomainError('conflict', `That request was for revision ${seenRevision} of ${releaseKey(release.id)}; the plan has changed since (now revision ${release.revision}). Decide on the new request.`);
  }
}

async function assertMayDecide(ctx: CoreContext, release: StoredRelease, actor: string): Promise<number> {
  const policy = policyOf(ctx.settings, release.service);
  const rule = approvalRuleFor(policy, release.type, effectiveRisk(release));
  if (release.requester === actor && !ctx.settings.approversCanSelfApprove) {
    throw new DomainError('self_approval', `You planned ${releaseKey(release.id)}, so you cannot decide on it; another approver must.`);
  }
  const approvers = await eligibleApprovers(rule, ctx.settings.groups, ctx.directory);
  if (!approvers.has(actor)) {
    const who = rule.from.map(whoMark).join(', ');
    throw new DomainError('not_authorised', `You are not an approver for ${release.type} releases of ${release.service}${effectiveRisk(release) === 'high' && policy.highRisk ? ' at high risk' : ''}. Approvers: ${who}.`);
  }
  return rule.required;
}

/**
 * Records one approval. The release row is locked for the whole decision, so however many clicks
 * arrive at once, each approver counts once and exactly one of them moves the release to approved.
 */
export async function approveRelease(ctx: CoreContext, actor: string, id: number, comment: string | null, seenRevision?: number): Promise<DecisionResult> {
  const now = ctx.clock();
  const result = await changeTransaction(ctx, async (trx) => {
    const current = await loadRelease(trx, id, { lock: true });
    if (current.state !== 'submitted') transition(current, 'approve');
    assertSameRevision(current, seenRevision);
    if (policyOf(ctx.settings, current.service).approvalSource === 'jira') {
      throw new DomainError('not_authorised', `${releaseKey(id)} is approved in Jira, on its change ticket${current.jiraKey ? ` ${current.jiraKey}` : ''}, not in Slack.`);
    }
    const required = await assertMayDecide(ctx, current, actor);
    const recorded = await recordDecision(trx, id, { approver: actor, decision: 'approve', revision: current.revision, decidedAt: now, comment });
    if (!recorded) throw new DomainError('already_decided', `You have already decided on revision ${current.revision} of ${releaseKey(id)}.`);
    const policy = policyOf(ctx.settings, current.service);
    const status = policyApproval(policy.approvalSource, await decisionsFor(trx, id, current.revision), current.revision, required, now, policy.approvalExpiresAfterMs);
    const decisionChange = await recordChange(trx, {
      release: current,
      actor,
      action: 'approval_given',
      after: { revision: current.revision, comment, approvals: status.valid.length, required, ...(policy.approvalSource === 'both' ? { jiraApproved: status.jira } : {}) },
      at: now,
    });
    if (!status.quorum) return { release: current, status, decisive: false, outboxIds: decisionChange.outboxIds };
    const release = await markApproved(ctx, trx, current, status, actor, now);
    return { release, status, decisive: true, outboxIds: decisionChange.outboxIds };
  });
  await ctx.effects.dispatch(result.outboxIds);
  return { release: result.release, status: result.status, decisive: result.decisive };
}

/** Moves a submitted release whose approvals are complete to approved (or straight onto the calendar). */
export async function markApproved(ctx: CoreContext, trx: Transaction<DB>, current: StoredRelease, status: ApprovalStatus, actor: string, now: Date): Promise<StoredRelease> {
  const id = current.id;
  {
    // An approved release with a planned start goes straight onto the calendar.
    const approvedState = transition(current, 'approve');
    const to = current.plannedStart ? nextState(approvedState, 'schedule')! : approvedState;
    const release = await updateReleaseIf(trx, id, 'submitted', { state: to, approved_at: now, updated_at: now, rollout_note: null });
    if (!release) throw new DomainError('conflict', `${releaseKey(id)} changed while you were approving it.`);
    const change = await recordChange(trx, {
      release,
      actor,
      action: 'approved',
      before: snapshot(current),
      after: { ...snapshot(release), approvers: status.valid.map((d) => d.approver) },
      at: now,
      effects: [
        closeApprovalRequestEffect(release, release.revision, 'approved'),
        { kind: 'announce', releaseId: id, dedupeKey: `announce:approved:${id}:${release.revision}`, payload: { releaseId: id, event: 'approved' } },
        // A planned start already past (approved late, or again after a plan change) starts now.
        ...(release.plannedStart ? [wakeEffect(id, release.plannedStart > now ? release.plannedStart : now)] : []),
        ...githubEffects(ctx, release, 'draft'),
      ],
    });
    return release;
  }
}

/**
 * The change ticket was approved or declined in Jira (its webhook). Counts only where the policy takes
 * Jira as an approval source; a second delivery of the same news changes nothing.
 */
export async function jiraDecision(ctx: CoreContext, id: number, decision: 'approve' | 'reject', who: string, delivery?: string): Promise<'approved' | 'rejected' | 'recorded' | 'ignored' | 'duplicate'> {
  const now = ctx.clock();
  return changeTransaction(ctx, async (trx) => {
    // The delivery is marked in the same transaction, so a delivery whose processing failed is taken again.
    if (delivery && !(await firstDelivery(trx, delivery, now))) return 'duplicate';
    const current = await loadRelease(trx, id, { lock: true });
    const policy = policyOf(ctx.settings, current.service);
    if (policy.approvalSource === 'slack' || current.state !== 'submitted') return 'ignored';
    const comment = `${decision === 'approve' ? 'approved' : 'declined'} in Jira by ${who}`;
    if (!(await recordDecision(trx, id, { approver: JIRA_APPROVER, decision, revision: current.revision, decidedAt: now, comment }))) return 'ignored';
    if (decision === 'reject') {
      const release = await updateReleaseIf(trx, id, 'submitted', { state: transition(current, 'reject'), updated_at: now });
      if (!release) return 'ignored';
      await recordChange(trx, { release, actor: JIRA_APPROVER, action: 'rejected', before: snapshot(current), after: { ...snapshot(release), reason: comment }, at: now, effects: [closeApprovalRequestEffect(release, release.revision, 'rejected')] });
      return 'rejected';
    }
    const rule = policy.approvals[current.type];
    const status = policyApproval(policy.approvalSource, await decisionsFor(trx, id, current.revision), current.revision, rule?.required ?? 1, now, policy.approvalExpiresAfterMs);
    await recordChange(trx, { release: current, actor: JIRA_APPROVER, action: 'approval_given', after: { revision: current.revision, comment, approvals: status.valid.length, required: rule?.required ?? 1, jiraApproved: true }, at: now });
    if (!status.quorum) return 'recorded';
    await markApproved(ctx, trx, current, status, JIRA_APPROVER, now);
    return 'approved';
  });
}

/** Rejects a submitted release with a reason; one rejection is enough. */
export async function rejectRelease(ctx: CoreContext, actor: string, id: number, reason: string, seenRevision?: number): Promise<StoredRelease> {
  const trimmed = reason.trim();
  if (!trimmed) throw new DomainError('invalid_input', `Say why you reject ${releaseKey(id)}: \`/release reject ${releaseKey(id)} <reason>\`.`);
  const now = ctx.clock();
  const result = await changeTransaction(ctx, async (trx) => {
    const current = await loadRelease(trx, id, { lock: true });
    const to = transition(current, 'reject');
    assertSameRevision(current, seenRevision);
    await assertMayDecide(ctx, current, actor);
    const recorded = await recordDecision(trx, id, { approver: actor, decision: 'reject', revision: current.revision, decidedAt: now, comment: trimmed });
    if (!recorded) throw new DomainError('already_decided', `You have already decided on revision ${current.revision} of ${releaseKey(id)}.`);
    const release = await updateReleaseIf(trx, id, 'submitted', { state: to, updated_at: now });
    if (!release) throw new DomainError('conflict', `${releaseKey(id)} changed while you were rejecting it.`);
    const change = await recordChange(trx, {
      release,
      actor,
      action: 'rejected',
      before: snapshot(current),
      after: { ...snapshot(release), reason: trimmed },
      at: now,
      effects: [closeApprovalRequestEffect(release, release.revision, 'rejected')],
    });
    return { release, outboxIds: change.outboxIds };
  });
  await ctx.effects.dispatch(result.outboxIds);
  return result.release;
}
