import type { CoreContext } from '../context.ts';
import { deploymentBand, makeFigure, ON_SCHEDULE_TOLERANCE_MS, type KpiFigure, type KpiReport } from '../kpi/definitions.ts';
import { previousPeriod, resolveKpiQuery, type KpiQuery } from '../kpi/period.ts';
import { kpiAggregates, kpiReleaseRows, type KpiAggregates, type KpiFilter, type KpiReleaseRow } from '../../store/repositories/kpi.ts';
import { reviewCountsFor } from './review.ts';
import { reviewRequired } from '../review.ts';
import { policyOf, type Settings } from '../settings.ts';
import type { ReleaseState, ReleaseType } from '../release.ts';

export type { KpiQuery } from '../kpi/period.ts';
export type { KpiReport } from '../kpi/definitions.ts';
export type { KpiReleaseRow } from '../../store/repositories/kpi.ts';
export { resolveKpiQuery };

const DAY_MS = 86_400_000;

function filterOf(ctx: Pick<CoreContext, 'settings'>, query: KpiQuery): KpiFilter {
  return { current: { from: query.from, to: query.to }, previous: previousPeriod(query), services: query.services, zone: ctx.settings.timezone, toleranceMs: ON_SCHEDULE_TOLERANCE_MS };
}

const share = (count: number, of: number): number | null => (of === 0 ? null : (100 * count) / of);

/** The figures of one period from its aggregates (percentages of the releases that ended in it). */
function valuesOf(a: KpiAggregates, days: number, reviews: { done: number; due: number }): Record<KpiFigure['key'], number | null> {
  return {
    releases: a.releases,
    on_schedule: share(a.onSchedule, a.releases),
    rescheduled_or_delayed: share(a.rescheduledOrDelayed, a.releases),
    needing_revision: share(a.needingRevision, a.releases),
    backed_out: share(a.backedOut, a.releases),
    failed: share(a.failed, a.releases),
    emergency_share: share(a.emergency, a.releases),
    without_test_evidence: share(a.withoutTestEvidence, a.releases),
    incidents: a.incidents,
    incidents_per_release: a.releases === 0 ? null : a.incidents / a.releases,
    unauthorised_versions: a.unauthorisedVersions,
    satisfaction: a.ratingMean,
    plan_to_submit_p50: a.planToSubmit?.[0] ?? null,
    plan_to_submit_p90: a.planToSubmit?.[1] ?? null,
    submit_to_approved_p50: a.submitToApproved?.[0] ?? null,
    submit_to_approved_p90: a.submitToApproved?.[1] ?? null,
    approved_to_start_p50: a.approvedToStart?.[0] ?? null,
    approved_to_start_p90: a.approvedToStart?.[1] ?? null,
    start_to_complete_p50: a.startToComplete?.[0] ?? null,
    start_to_complete_p90: a.startToComplete?.[1] ?? null,
    manual_effort: a.releases === 0 ? null : (a.manualMinutes ?? 0),
    reviews_done: reviews.done,
    reviews_due: reviews.due,
    deployment_frequency: days > 0 ? a.deployments / days : null,
    lead_time: a.leadTime,
    change_failure_rate: share(a.changeFailures, a.releases),
    time_to_restore: a.timeToRestore,
  };
}

/**
 * The KPI report for a period, per service, team or all: every ITIL and DORA figure of
 * `KPI_DEFINITIONS`, each with the previous period's beside it and the direction of change. A few
 * set-based queries whatever the history's size.
 */
export async function kpiReport(ctx: Pick<CoreContext, 'db' | 'settings'>, query: KpiQuery): Promise<KpiReport> {
  const filter = filterOf(ctx, query);
  const services = query.services ?? undefined;
  const [aggregates, reviewsNow, reviewsBefore] = await Promise.all([
    kpiAggregates(ctx.db, filter),
    reviewCountsFor(ctx, { ...filter.current, services }),
    reviewCountsFor(ctx, { ...filter.previous, services }),
  ]);
  const days = (p: { from: Date; to: Date }) => (p.to.getTime() - p.from.getTime()) / DAY_MS;
  const now = valuesOf(aggregates.current, days(filter.current), reviewsNow);
  const before = valuesOf(aggregates.previous, days(filter.previous), reviewsBefore);
  const figures = (Object.keys(now) as KpiFigure['key'][]).map((key) =>
    makeFigure(key, now[key], before[key], key === 'satisfaction' ? { n: aggregates.current.ratingResponses, previousN: aggregates.previous.ratingResponses } : {}),
  );
  return {
    label: query.label,
    services: query.services,
    period: filter.current,
    previousPeriod: filter.previous,
    figures,
    band: { value: deploymentBand(aggregates.current.deployDays, filter.current), previous: deploymentBand(aggregates.previous.deployDays, filter.previous) },
  };
}

/** One ended release as the export shows it: the facts each KPI counted it by, and whether a review of it is required. */
export type KpiExportRow = KpiReleaseRow & { reviewRequired: boolean };

/** As Reviews due counts it: by the service's own `require_review`, or by the default for a service gone from relm.yml. */
function requiresReview(settings: Settings, row: KpiReleaseRow): boolean {
  const release = { state: row.state as ReleaseState, type: row.type as ReleaseType };
  try {
    return reviewRequired(release, policyOf(settings, row.service));
  } catch {
    return reviewRequired(release, {});
  }
}

/** The releases the report's figures come from (the current period), for the export. */
export async function kpiRows(ctx: Pick<CoreContext, 'db' | 'settings'>, query: KpiQuery): Promise<KpiExportRow[]> {
  const rows = await kpiReleaseRows(ctx.db, filterOf(ctx, query));
  return rows.map((row) => ({ ...row, reviewRequired: requiresReview(ctx.settings, row) }));
}
