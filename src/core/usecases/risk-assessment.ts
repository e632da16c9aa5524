import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../store/schema.ts';
import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { riskBelow, type Release, type Risk } from '../release.ts';
import { assessRisk, type RiskAssessment } from '../risk.ts';
import { wavesOf } from '../rollout.ts';
import { policyOf } from '../settings.ts';
import { recentFailureCount } from '../../store/repositories/releases.ts';
import { bundleSizeOf } from '../../store/repositories/bundles.ts';

type PlanFacts = Pick<Release, 'service' | 'type' | 'deploymentModel' | 'waves' | 'testEvidence' | 'plannedStart'>;

/** The plan's risk under its policy's `risk:` rules, or null when the policy has none. One count query for the recent failures. */
export async function assessPlan(ctx: CoreContext, db: Kysely<DB> | Transaction<DB>, plan: PlanFacts, now: Date): Promise<RiskAssessment | null> {
  const policy = policyOf(ctx.settings, plan.service);
  const rules = policy.risk;
  if (!rules) return null;
  const waves = wavesOf(ctx.settings, plan);
  // A release already planned may be in a bundle; a new plan is in none yet.
  const bundleSize = rules.bundle && 'id' in plan && typeof plan.id === 'number' ? await bundleSizeOf(db, plan.id) : 0;
  const failures = rules.recentFailures ? await recentFailureCount(db, plan.service, new Date(now.getTime() - rules.recentFailures.withinMs)) : 0;
  return assessRisk(rules, {
    type: plan.type,
    targets: new Set(waves.flatMap((w) => w.targets)).size,
    waves: waves.length,
    testEvidence: plan.testEvidence,
    recentFailures: failures,
    bundleSize,
    plannedStart: plan.plannedStart,
    calendar: policy.calendar,
  });
}

/** "major release +3, no test evidence +3": what the assessment counted. */
export function factorsText(assessment: Pick<RiskAssessment, 'factors'>): string {
  return assessment.factors.map((f) => `${f.detail} +${f.points}`).join(', ') || 'nothing counted';
}

/** Refuses a stated risk below the assessment without a reason (the requester may always raise it). */
export function assertRiskStated(assessment: RiskAssessment | null, stated: Risk, reason: string | null | undefined): void {
  if (!assessment || !riskBelow(stated, assessment.level) || reason?.trim()) return;
  throw new DomainError(
    'invalid_input',
    `relm assesses this plan's risk as ${assessment.level} (${factorsText(assessment)}). To state ${stated}, give a reason approvers will read: \`--risk-reason "…"\`, or the form's reason field.`,
    { field: 'risk' },
  );
}

/** The columns a plan's assessment is stored in. */
export function assessmentColumns(assessment: RiskAssessment | null): { assessed_risk: string | null; risk_factors: string | null } {
  return { assessed_risk: assessment?.level ?? null, risk_factors: assessment ? JSON.stringify(assessment.factors) : null };
}
