import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { transition } from '../lifecycle.ts';
import { approvalRuleFor, type Policy } from '../policy.ts';
import { policyOf } from '../settings.ts';
import { releaseKey, type StoredRelease } from '../release.ts';
import { updateReleaseIf } from '../../store/repositories/releases.ts';
import { assertOwnerOrManager } from './access.ts';
import { loadRelease } from './load.ts';
import { changeTransaction, recordChange, snapshot } from './record-change.ts';
import type { OutboxMessage } from '../effect.ts';

export function approvalRequestEffect(release: StoredRelease): OutboxMessage {
  return {
    kind: 'approval_request',
    releaseId: release.id,
    dedupeKey: `approval_request:${release.id}:${release.revision}`,
    payload: { releaseId: release.id, revision: release.revision },
  };
}

export function closeApprovalRequestEffect(release: StoredRelease, revision: number, outcome: string): OutboxMessage {
  return {
    kind: 'approval_request_closed',
    releaseId: release.id,
    dedupeKey: `approval_request_closed:${release.id}:${revision}:${outcome}`,
    payload: { releaseId: release.id, revision, outcome },
  };
}

/** What a plan still lacks before approvers should see it. */
export function missingForSubmission(release: StoredRelease, policy?: Policy): string[] {
  const missing: string[] = [];
  if (!release.rollbackPlan) missing.push('a rollback plan');
  if (!release.testEvidence && release.type !== 'emergency') missing.push('test evidence');
  if (policy?.requireTrainingMaterial && release.trainingNeeded && release.trainingLinks.length === 0) missing.push('links to its training material (`--training <url>`)');
  return missing;
}

/** Submits a draft for approval; the approval request goes to the release channel. */
export async function submitRelease(ctx: CoreContext, actor: string, id: number): Promise<StoredRelease> {
  const now = ctx.clock();
  const { release, outboxIds } = await changeTransaction(ctx, async (trx) => {
    const current = await loadRelease(trx, id, { lock: true });
    assertOwnerOrManager(ctx.settings, current, actor, 'submit it');
    const to = transition(current, 'submit');
    const missing = missingForSubmission(current, policyOf(ctx.settings, current.service));
    if (missing.length > 0) {
      throw new DomainError('invalid_input', `${releaseKey(id)} needs ${missing.join(' and ')} before it can be submitted: use \`/release edit ${releaseKey(id)}\`.`);
    }
    approvalRuleFor(policyOf(ctx.settings, current.service), current.type);
    const release = await updateReleaseIf(trx, id, current.state, { state: to, submitted_at: now, updated_at: now });
    if (!release) throw new DomainError('conflict', `${releaseKey(id)} changed while you were submitting it; look again with \`/release show ${releaseKey(id)}\`.`);
    const jira = ctx.jira && ctx.settings.services[release.service]?.jiraProject ? [{ kind: 'jira_raise', releaseId: id, dedupeKey: `jira:raise:${id}`, payload: { releaseId: id } }] : [];
    const change = await recordChange(trx, { release, actor, action: 'submitted', before: snapshot(current), after: snapshot(release), at: now, effects: [approvalRequestEffect(release), ...jira] });
    return { release, outboxIds: change.outboxIds };
  });
  await ctx.effects.dispatch(outboxIds);
  return release;
}
