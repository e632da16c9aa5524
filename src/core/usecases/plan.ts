import semver from 'semver';
import type { CoreContext } from '../context.ts';
import { own } from '../lookup.ts';
import { DomainError } from '../errors.ts';
import { fragment, timeMark } from '../text.ts';
import { approvalRuleFor, type Policy } from '../policy.ts';
import { policyOf, serviceOf, type Settings } from '../settings.ts';
import { releaseKey, type ReleasePlan, type ReleaseType, type Risk, type StoredRelease } from '../release.ts';
import { assertIncreasing, normaliseVersion } from '../versions.ts';
import { checkSlot, nextAllowedSlot } from '../windows.ts';
import { validateWaveOverride } from '../rollout.ts';
import { insertRelease, liveVersions, lockService } from '../../store/repositories/releases.ts';
import { changeTransaction, recordChange, snapshot } from './record-change.ts';
import { assertRiskStated, assessmentColumns, assessPlan, factorsText } from './risk-assessment.ts';
import { conflictsForRelease, conflictWarnings, otherCards } from './conflicts.ts';
import type { RiskAssessment } from '../risk.ts';

/** What a team gives when planning; anything left out gets a sensible default. */
export interface PlanInput {
  service: string;
  version: string;
  type?: ReleaseType;
  title?: string;
  description?: string;
  risk?: Risk;
  /** Why the stated risk is lower than relm's assessment; needed to state one. */
  riskReason?: string;
  plannedStart?: Date | null;
  deploymentModel?: string;
  rollbackPlan?: string;
  testEvidence?: string;
  trainingNeeded?: boolean;
  trainingLinks?: string[];
  impact?: string;
  contact?: string | null;
  /** Overrides the deployment model's waves for this release (targets must be the model's). */
  waves?: { name: string; targets: string[]; bakeMs: number }[];
  /** Release assets that must be on the GitHub release, with their sha256, before the first wave. */
  assets?: { name: string; sha256: string }[];
}

export interface PlanResult {
  release: StoredRelease;
  warnings: string[];
}

const DEFAULT_RISK: Record<ReleaseType, Risk> = { major: 'high', minor: 'medium', patch: 'low', emergency: 'high' };

/** Infers major/minor/patch from the step over the highest version planned so far. */
export function inferType(version: string, existing: readonly string[]): ReleaseType {
  const highest = existing.filter((v) => semver.valid(v)).sort(semver.rcompare)[0];
  if (!highest || !semver.valid(version)) return 'minor';
  const diff = semver.diff(highest, version);
  if (diff === 'major' || diff === 'premajor') return 'major';
  if (diff === 'patch' || diff === 'prepatch' || diff === 'prerelease') return 'patch';
  return 'minor';
}

/** Warnings about a planned start that will have to wait: the rollout itself enforces the calendar. */
export function slotWarnings(policy: Policy, type: ReleaseType, at: Date | null | undefined): string[] {
  if (!at) return [];
  const bypassFreeze = policy.approvals[type]?.bypassFreeze ?? false;
  const check = checkSlot(policy.calendar, at, { bypassFreeze });
  if (check.allowed) return [];
  const next = nextAllowedSlot(policy.calendar, at, { bypassFreeze });
  const why = check.reason === 'freeze' ? `falls in the freeze "${check.freeze.reason}" (${check.freeze.from} to ${check.freeze.to})` : 'is outside the change windows';
  return [`The planned start ${why}; the rollout would wait for ${next ? timeMark(next) : 'a slot that does not come within 120 days'}.`];
}

/** What planning says of the assessed risk: the level, its factors, and a lower stated risk's reason. */
export function riskWarnings(release: StoredRelease, assessment: RiskAssessment | null): string[] {
  if (!assessment) return [];
  const stated = release.risk === assessment.level ? '' : `; you state ${release.risk}${release.riskReason ? ' (your reason is shown to the approvers)' : ''}`;
  return [`relm assesses the risk as ${assessment.level}: ${factorsText(assessment)}${stated}.`];
}

export function validatePlannedStart(at: Date | null | undefined, now: Date): void {
  if (at && at.getTime() < now.getTime() - 60_000) {
    throw new DomainError('invalid_input', `The planned start ${timeMark(at)} is in the past (it is now ${timeMark(now)}); give a time from now on, like \`+1h\` or \`tomorrow 10:00\`.`, { field: 'plannedStart' });
  }
}

export function assertModel(settings: Settings, model: string): void {
  if (!Object.hasOwn(settings.deploymentModels, model)) {
    const known = Object.keys(settings.deploymentModels).join(', ');
    throw new DomainError('invalid_input', `Unknown deployment model "${fragment(model)}". Models: ${known}.`, { field: 'deploymentModel' });
  }
}

/** Plans a release as a draft, posts its card, and says what it noticed about the plan. */
export async function planRelease(ctx: CoreContext, actor: string, input: PlanInput): Promise<PlanResult> {
  const service = serviceOf(ctx.settings, input.service);
  const policy = policyOf(ctx.settings, service.key);
  const version = normaliseVersion(service, input.version);
  const model = input.deploymentModel ?? service.deploymentModel;
  assertModel(ctx.settings, model);
  if (input.waves) validateWaveOverride(ctx.settings.deploymentModels[model]!, input.waves);
  const now = ctx.clock();
  validatePlannedStart(input.plannedStart, now);

  const { release, outboxIds, type, conflicts, assessment } = await changeTransaction(ctx, async (trx) => {
    await lockService(trx, service.key);
    const existing = await liveVersions(trx, service.key);
    assertIncreasing(service, version, existing);
    const type = input.type ?? inferType(version, existing);
    approvalRuleFor(policy, type);
    const assessment = await assessPlan(ctx, trx, { service: service.key, type, deploymentModel: model, waves: input.waves ?? null, testEvidence: input.testEvidence?.trim() ?? '', plannedStart: input.plannedStart ?? null }, now);
    const riskReason = input.riskReason?.trim() || null;
    // Without a stated risk, the assessment's (or, without risk rules, the type's usual one).
    const risk = input.risk ?? assessment?.level ?? DEFAULT_RISK[type];
    assertRiskStated(assessment, risk, riskReason);
    const plan: ReleasePlan = {
      service: service.key,
      version,
      type,
      title: input.title?.trim() || `${service.name} ${version}`,
      description: input.description?.trim() ?? '',
      risk,
      plannedStart: input.plannedStart ?? null,
      deploymentModel: model,
      rollbackPlan: input.rollbackPlan?.trim() ?? '',
      testEvidence: input.testEvidence?.trim() ?? '',
      trainingNeeded: input.trainingNeeded ?? false,
      trainingLinks: input.trainingNeeded === false ? [] : (input.trainingLinks ?? []),
      impact: input.impact?.trim() ?? '',
      contact: input.contact ?? null,
      waves: input.waves ?? null,
      assets: input.assets?.length ? input.assets : null,
    };
    const release = await insertRelease(trx, {
      service: plan.service,
      version: plan.version,
      type: plan.type,
      title: plan.title,
      description: plan.description,
      risk: plan.risk,
      ...assessmentColumns(assessment),
      risk_reason: riskReason,
      planned_start: plan.plannedStart,
      deployment_model: plan.deploymentModel,
      rollback_plan: plan.rollbackPlan,
      test_evidence: plan.testEvidence,
      training_needed: plan.trainingNeeded || plan.trainingLinks.length > 0,
      training_links: plan.trainingLinks.length ? JSON.stringify(plan.trainingLinks) : null,
      impact: plan.impact,
      contact: plan.contact,
      waves: plan.waves ? JSON.stringify(plan.waves) : null,
      assets: plan.assets ? JSON.stringify(plan.assets) : null,
      requester: actor,
      state: 'draft',
      card_channel: service.channel,
      card_ts: null,
      created_at: now,
      updated_at: now,
      submitted_at: null,
      approved_at: null,
    });
    const conflicts = await conflictsForRelease(ctx, trx, release);
    const { outboxIds } = await recordChange(trx, { release, actor, action: 'planned', after: snapshot(release), at: now, effects: otherCards(release.id, [], conflicts, now) });
    return { release, outboxIds, type, conflicts, assessment };
  });
  await ctx.effects.dispatch(outboxIds);

  const warnings = [...riskWarnings(release, assessment), ...conflictWarnings(conflicts), ...slotWarnings(policy, type, release.plannedStart)];
  if (!release.rollbackPlan) warnings.push(`Add a rollback plan before you submit: \`/release edit ${releaseKey(release.id)}\`.`);
  if (!release.testEvidence && type !== 'emergency') warnings.push('Add test evidence before you submit.');
  return { release, warnings };
}
