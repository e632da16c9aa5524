import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { transition } from '../lifecycle.ts';
import { approvalRuleFor } from '../policy.ts';
import { policyOf, serviceOf } from '../settings.ts';
import { releaseKey, type StoredRelease } from '../release.ts';
import { assertIncreasing, normaliseVersion } from '../versions.ts';
import { validateWaveOverride } from '../rollout.ts';
import { liveVersions, lockService, updateReleaseIf } from '../../store/repositories/releases.ts';
import { voidBundleOf } from '../../store/repositories/bundles.ts';
import type { ReleaseUpdate } from '../../store/schema.ts';
import { assertOwnerOrManager } from './access.ts';
import { loadRelease } from './load.ts';
import { assertModel, riskWarnings, slotWarnings, validatePlannedStart, type PlanInput } from './plan.ts';
import { changeTransaction, recordChange, snapshot } from './record-change.ts';
import { assertRiskStated, assessmentColumns, assessPlan } from './risk-assessment.ts';
import { conflictsForRelease, conflictWarnings, otherCards } from './conflicts.ts';
import { riskBelow } from '../release.ts';
import { approvalRequestEffect, closeApprovalRequestEffect } from './submit.ts';
import { scheduleRelease } from './schedule.ts';

export type PlanChanges = Partial<Omit<PlanInput, 'service'>>;

/** The states in which a change of the start alone is a reschedule rather than a revision. */
const MOVABLE = new Set(['draft', 'submitted', 'approved', 'scheduled']);

/**
 * Changes the plan. Any change bumps the revision, which voids the approvals given so far: an approved
 * release goes back to submitted and asks its approvers again. A new start and nothing else is not a
 * change of plan but of the calendar, and is done as `/release schedule` does it.
 */
export async function replanRelease(ctx: CoreContext, actor: string, id: number, changes: PlanChanges): Promise<{ release: StoredRelease; warnings: string[] }> {
  const now = ctx.clock();
  validatePlannedStart(changes.plannedStart, now);
  if (changes.deploymentModel) assertModel(ctx.settings, changes.deploymentModel);
  const result = await changeTransaction(ctx, async (trx) => {
    const first = await loadRelease(trx, id);
    await lockService(trx, first.service);
    const current = await loadRelease(trx, id, { lock: true });
    assertOwnerOrManager(ctx.settings, current, actor, 'change its plan');
    const to = transition(current, 'replan');
    const service = serviceOf(ctx.settings, current.service);
    const update: ReleaseUpdate = {};
    if (changes.version !== undefined) {
      const version = normaliseVersion(service, changes.version);
      if (version !== current.version) {
        assertIncreasing(service, version, (await liveVersions(trx, current.service)).filter((v) => v !== current.version));
        update.version = version;
      }
    }
    if (changes.type !== undefined && changes.type !== current.type) {
      approvalRuleFor(policyOf(ctx.settings, current.service), changes.type);
      update.type = changes.type;
    }
    const text = { title: 'title', description: 'description', rollbackPlan: 'rollback_plan', testEvidence: 'test_evidence', impact: 'impact' } as const;
    for (const [field, column] of Object.entries(text) as [keyof typeof text, (typeof text)[keyof typeof text]][]) {
      const value = changes[field]?.trim();
      if (value !== undefined && value !== current[field] && (field !== 'title' || value)) update[column] = value;
    }
    if (changes.risk !== undefined && changes.risk !== current.risk) update.risk = changes.risk;
    if (changes.contact !== undefined && changes.contact !== current.contact) update.contact = changes.contact;
    if (changes.deploymentModel !== undefined && changes.deploymentModel !== current.deploymentModel) update.deployment_model = changes.deploymentModel;
    if (changes.trainingNeeded !== undefined && changes.trainingNeeded !== current.trainingNeeded) update.training_needed = changes.trainingNeeded;
    const links = changes.trainingNeeded === false ? [] : changes.trainingLinks;
    if (links !== undefined && JSON.stringify(links) !== JSON.stringify(current.trainingLinks)) {
      update.training_links = links.length ? JSON.stringify(links) : null;
      if (links.length) update.training_needed = true;
    }
    if (changes.waves !== undefined && JSON.stringify(changes.waves) !== JSON.stringify(current.waves ?? undefined)) {
      validateWaveOverride(ctx.settings.deploymentModels[changes.deploymentModel ?? current.deploymentModel]!, changes.waves);
      update.waves = JSON.stringify(changes.waves);
    }
    if (changes.assets !== undefined && JSON.stringify(changes.assets.length ? changes.assets : null) !== JSON.stringify(current.assets)) {
      update.assets = changes.assets.length ? JSON.stringify(changes.assets) : null;
      update.assets_verified_at = null;
      update.assets_problem = null;
    }
    const startChanged = changes.plannedStart !== undefined && (changes.plannedStart?.getTime() ?? null) !== (current.plannedStart?.getTime() ?? null);
    if (startChanged) {
      update.planned_start = changes.plannedStart ?? null;
      if (current.plannedStart) update.reschedule_count = current.rescheduleCount + 1;
    }
    const reason = changes.riskReason !== undefined ? changes.riskReason.trim() || null : current.riskReason;
    if (reason !== current.riskReason) update.risk_reason = reason;
    // Moving the start and nothing else is a reschedule, whichever command does it: the approvals stand
    // and it counts as rescheduled, not as a revision (see scheduleRelease).
    if (startChanged && changes.plannedStart && MOVABLE.has(current.state) && Object.keys(update).every((k) => k === 'planned_start' || k === 'reschedule_count')) return { moveOnly: changes.plannedStart };
    if (Object.keys(update).length === 0) return { release: current, outboxIds: [] as number[], changed: false, conflicts: await conflictsForRelease(ctx, trx, current), assessment: null };
    // The changed plan is assessed again; a risk stated below it needs a reason, one left as it was rises with it.
    const assessment = await assessPlan(ctx, trx, {
      service: current.service,
      type: (update.type as typeof current.type | undefined) ?? current.type,
      deploymentModel: update.deployment_model ?? current.deploymentModel,
      waves: changes.waves !== undefined ? changes.waves : current.waves,
      testEvidence: update.test_evidence ?? current.testEvidence,
      plannedStart: startChanged ? (changes.plannedStart ?? null) : current.plannedStart,
    }, now);
    Object.assign(update, assessmentColumns(assessment));
    const stated = (update.risk as typeof current.risk | undefined) ?? current.risk;
    if (changes.risk !== undefined) assertRiskStated(assessment, stated, reason);
    else if (assessment && riskBelow(stated, assessment.level) && !reason) update.risk = assessment.level;

    const release = await updateReleaseIf(trx, id, current.state, { ...update, state: to, revision: current.revision + 1, updated_at: now });
    if (!release) throw new DomainError('conflict', `${releaseKey(id)} changed while you were editing it; look again with \`/release show ${releaseKey(id)}\`.`);
    const bundle = await voidBundleOf(trx, id);
    if (bundle?.refused) throw new DomainError('illegal_transition', `${releaseKey(id)} is in BUN-${bundle.id}, which is ${bundle.refused.replace('_', ' ')}: its plan cannot change now.`);
    const before = await conflictsForRelease(ctx, trx, current);
    const conflicts = await conflictsForRelease(ctx, trx, release);
    const reapproval = current.state === 'submitted' || current.state === 'approved' || current.state === 'scheduled';
    const change = await recordChange(trx, {
      release,
      actor,
      action: 'replanned',
      before: snapshot(current),
      after: { ...snapshot(release), approvalsVoided: reapproval },
      at: now,
      effects: [...(reapproval ? [closeApprovalRequestEffect(release, current.revision, 'superseded'), approvalRequestEffect(release)] : []), ...otherCards(id, before, conflicts, now)],
    });
    return { release, outboxIds: change.outboxIds, changed: true, conflicts, assessment };
  });
  if (result.moveOnly) return scheduleRelease(ctx, actor, id, result.moveOnly);
  await ctx.effects.dispatch(result.outboxIds);
  const warnings = result.changed ? [...riskWarnings(result.release, result.assessment), ...conflictWarnings(result.conflicts)] : ['Nothing in the plan changed.', ...conflictWarnings(result.conflicts)];
  warnings.push(...slotWarnings(policyOf(ctx.settings, result.release.service), result.release.type, startChangedTo(changes, result.release)));
  return { release: result.release, warnings };
}

function startChangedTo(changes: PlanChanges, release: StoredRelease): Date | null {
  return changes.plannedStart !== undefined ? release.plannedStart : null;
}
