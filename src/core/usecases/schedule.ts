import { timeMark } from '../text.ts';
import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { nextState } from '../lifecycle.ts';
import { policyOf } from '../settings.ts';
import { releaseKey, type StoredRelease } from '../release.ts';
import { nextAllowedSlot } from '../windows.ts';
import { updateReleaseIf } from '../../store/repositories/releases.ts';
import { voidBundleOf } from '../../store/repositories/bundles.ts';
import { assertOwnerOrManager } from './access.ts';
import { loadRelease } from './load.ts';
import { slotWarnings, validatePlannedStart } from './plan.ts';
import { changeTransaction, recordChange, snapshot } from './record-change.ts';
import { wakeEffect } from './rollout/effects.ts';
import { assessmentColumns, assessPlan } from './risk-assessment.ts';
import { conflictsForRelease, conflictWarnings, otherCards } from './conflicts.ts';

const SCHEDULABLE = new Set(['draft', 'submitted', 'rejected', 'approved', 'scheduled']);

/**
 * Sets or moves the planned start. It does not change the plan's revision: approvers authorise what
 * changes, the calendar decides when, and the windows are checked again when each wave runs. Moving a
 * start that was set counts as a reschedule. An approved release goes on the calendar.
 */
export async function scheduleRelease(ctx: CoreContext, actor: string, id: number, at: Date): Promise<{ release: StoredRelease; warnings: string[] }> {
  const now = ctx.clock();
  validatePlannedStart(at, now);
  const result = await changeTransaction(ctx, async (trx) => {
    const current = await loadRelease(trx, id, { lock: true });
    assertOwnerOrManager(ctx.settings, current, actor, 'schedule it');
    if (!SCHEDULABLE.has(current.state)) throw new DomainError('illegal_transition', `${releaseKey(id)} is ${current.state.replace('_', ' ')}; only a release that has not started can be scheduled.`);
    const policy = policyOf(ctx.settings, current.service);
    const bypass = policy.approvals[current.type]?.bypassFreeze ?? false;
    if (!bypass && !nextAllowedSlot(policy.calendar, at)) {
      throw new DomainError('invalid_input', `${timeMark(at)} falls where no change window opens within 120 days (a long freeze?). Pick another time; \`/release calendar\` shows the windows.`, { field: 'plannedStart' });
    }
    const to = current.state === 'approved' ? nextState(current.state, 'schedule')! : current.state;
    const moved = current.plannedStart !== null && current.plannedStart.getTime() !== at.getTime();
    // A start moved outside the windows or near a freeze may change the assessed risk.
    const assessment = await assessPlan(ctx, trx, { ...current, plannedStart: at }, now);
    const release = await updateReleaseIf(trx, id, current.state, {
      ...assessmentColumns(assessment),
      state: to,
      planned_start: at,
      reschedule_count: current.rescheduleCount + (moved ? 1 : 0),
      updated_at: now,
    });
    if (!release) throw new DomainError('conflict', `${releaseKey(id)} changed at the same moment; try again.`);
    const bundle = moved ? await voidBundleOf(trx, id) : null;
    if (bundle?.refused) throw new DomainError('illegal_transition', `${releaseKey(id)} is in BUN-${bundle.id}, which is ${bundle.refused.replace('_', ' ')}: its plan cannot change now.`);
    const onCalendar = to === 'scheduled';
    const before = await conflictsForRelease(ctx, trx, current);
    const conflicts = await conflictsForRelease(ctx, trx, release);
    const change = await recordChange(trx, {
      release,
      actor,
      action: moved ? 'rescheduled' : 'scheduled',
      before: snapshot(current),
      after: snapshot(release),
      at: now,
      effects: [...(onCalendar ? [wakeEffect(id, at)] : []), ...otherCards(id, before, conflicts, now)],
    });
    return { release, outbox: change.outboxIds, conflicts };
  });
  await ctx.effects.dispatch(result.outbox);
  return { release: result.release, warnings: [...conflictWarnings(result.conflicts), ...slotWarnings(policyOf(ctx.settings, result.release.service), result.release.type, at)] };
}
