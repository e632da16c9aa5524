/**
 * relm's KPIs, each defined once: the command, App Home, the digest and the export all read these
 * definitions and the figures computed by `kpiReport`. The README's KPI tables say the same in words.
 *
 * The population: a release counts in a period when its rollout ended in it (`finished_at` in
 * [from, to)) as completed, failed (aborted) or rolled back. Releases still in flight, cancelled or
 * never approved do not count.
 */

/** A started rollout counts as on schedule when it started within this of its planned start. */
export const ON_SCHEDULE_TOLERANCE_MS = 15 * 60_000;

export type KpiGroup = 'itil' | 'dora';
export type KpiUnit = 'percent' | 'count' | 'ratio' | 'score' | 'hours' | 'minutes' | 'per_day';

export const KPI_KEYS = [
  'releases',
  'on_schedule',
  'rescheduled_or_delayed',
  'needing_revision',
  'backed_out',
  'failed',
  'emergency_share',
  'without_test_evidence',
  'incidents',
  'incidents_per_release',
  'unauthorised_versions',
  'satisfaction',
  'plan_to_submit_p50',
  'plan_to_submit_p90',
  'submit_to_approved_p50',
  'submit_to_approved_p90',
  'approved_to_start_p50',
  'approved_to_start_p90',
  'start_to_complete_p50',
  'start_to_complete_p90',
  'manual_effort',
  'reviews_done',
  'reviews_due',
  'deployment_frequency',
  'lead_time',
  'change_failure_rate',
  'time_to_restore',
] as const;
export type KpiKey = (typeof KPI_KEYS)[number];

export interface KpiDefinition {
  key: KpiKey;
  group: KpiGroup;
  name: string;
  unit: KpiUnit;
  /** Which way is better (null: neither, e.g. how many releases there were). */
  better: 'up' | 'down' | null;
  formula: string;
  counts: string;
  excludes: string;
}

const ENDED = 'releases whose rollout ended in the period (completed, failed, rolled back)';

export const KPI_DEFINITIONS: readonly KpiDefinition[] = [
  { key: 'releases', group: 'itil', name: 'Releases ended', unit: 'count', better: null, formula: 'count of ended releases', counts: ENDED, excludes: 'in flight, cancelled, rejected and never revised, drafts' },
  { key: 'on_schedule', group: 'itil', name: 'Completed as planned and on schedule', unit: 'percent', better: 'up', formula: 'completed with a planned start, started within 15 min of it, never rescheduled, never revised after approval ÷ ended', counts: 'completed releases meeting all four conditions', excludes: 'a release rescheduled even once, started late or early by more than 15 min, re-planned after approval, without a planned start, failed or rolled back' },
  { key: 'rescheduled_or_delayed', group: 'itil', name: 'Rescheduled or delayed', unit: 'percent', better: 'down', formula: 'ended releases rescheduled at least once, or started more than 15 min after the planned start ÷ ended', counts: 'any move of a set planned start (`schedule`, `edit --at`); a late start', excludes: 'setting a first planned start; a start within the tolerance' },
  { key: 'needing_revision', group: 'itil', name: 'Needing revision', unit: 'percent', better: 'down', formula: 'ended releases rejected at least once or re-planned after submission ÷ ended', counts: 'a rejection; a plan change while submitted, approved or scheduled', excludes: 'changes while still a draft; a reschedule (counted above)' },
  { key: 'backed_out', group: 'itil', name: 'Backed out (rolled back)', unit: 'percent', better: 'down', formula: 'ended releases in state rolled back ÷ ended', counts: 'a rollback that completed', excludes: 'a failed wave retried and then completed' },
  { key: 'failed', group: 'itil', name: 'Failed', unit: 'percent', better: 'down', formula: 'ended releases in state failed (aborted) ÷ ended', counts: 'a rollout aborted and left failed', excludes: 'rolled-back releases (backed out)' },
  { key: 'emergency_share', group: 'itil', name: 'Emergency share', unit: 'percent', better: 'down', formula: 'ended releases of type emergency ÷ ended', counts: 'type emergency, once per release', excludes: 'other types' },
  { key: 'without_test_evidence', group: 'itil', name: 'Implemented without test evidence', unit: 'percent', better: 'down', formula: 'ended releases whose test evidence is empty ÷ ended', counts: 'a blank test evidence field', excludes: 'any text given' },
  { key: 'incidents', group: 'itil', name: 'Incidents caused', unit: 'count', better: 'down', formula: 'incidents recorded against ended releases', counts: '`/release incident`, Jira incident links, whenever recorded', excludes: 'incidents of releases that ended outside the period' },
  { key: 'incidents_per_release', group: 'itil', name: 'Incidents per release', unit: 'ratio', better: 'down', formula: 'incidents caused ÷ ended', counts: 'as above', excludes: 'as above' },
  { key: 'unauthorised_versions', group: 'itil', name: 'Unauthorised versions detected', unit: 'count', better: 'down', formula: 'versions seen deployed without a release, detected in the period', counts: 'configuration record checks (GitHub deployments, reported versions)', excludes: 'versions relm rolled out' },
  { key: 'satisfaction', group: 'itil', name: 'Customer satisfaction', unit: 'score', better: 'up', formula: 'mean rating (1–5) of ended releases; responses beside it', counts: 'one rating per person per release (the latest)', excludes: 'releases with no rating' },
  { key: 'plan_to_submit_p50', group: 'itil', name: 'Plan → submit (p50)', unit: 'hours', better: 'down', formula: 'median of submitted − planned (created)', counts: 'ended releases', excludes: 'none missing a time' },
  { key: 'plan_to_submit_p90', group: 'itil', name: 'Plan → submit (p90)', unit: 'hours', better: 'down', formula: '90th percentile of the same', counts: 'ended releases', excludes: '' },
  { key: 'submit_to_approved_p50', group: 'itil', name: 'Submit → approved (p50)', unit: 'hours', better: 'down', formula: 'median of approved − submitted (the last approval)', counts: 'ended releases', excludes: '' },
  { key: 'submit_to_approved_p90', group: 'itil', name: 'Submit → approved (p90)', unit: 'hours', better: 'down', formula: '90th percentile of the same', counts: 'ended releases', excludes: '' },
  { key: 'approved_to_start_p50', group: 'itil', name: 'Approved → start (p50)', unit: 'hours', better: null, formula: 'median of started − approved', counts: 'ended releases', excludes: '' },
  { key: 'approved_to_start_p90', group: 'itil', name: 'Approved → start (p90)', unit: 'hours', better: null, formula: '90th percentile of the same', counts: 'ended releases', excludes: '' },
  { key: 'start_to_complete_p50', group: 'itil', name: 'Start → complete (p50)', unit: 'hours', better: 'down', formula: 'median of finished − started', counts: 'completed releases', excludes: 'failed and rolled back' },
  { key: 'start_to_complete_p90', group: 'itil', name: 'Start → complete (p90)', unit: 'hours', better: 'down', formula: '90th percentile of the same', counts: 'completed releases', excludes: '' },
  { key: 'manual_effort', group: 'itil', name: 'Manual-step effort', unit: 'minutes', better: 'down', formula: 'Σ over manual steps of (last checklist tick − step start) × people who ticked', counts: 'steps of the manual deployer with at least one tick', excludes: 'github and webhook steps; steps nobody ticked' },
  { key: 'reviews_done', group: 'itil', name: 'Reviews done', unit: 'count', better: 'up', formula: 'ended releases with a post-release review', counts: 'any review written', excludes: '' },
  { key: 'reviews_due', group: 'itil', name: 'Reviews due', unit: 'count', better: 'down', formula: 'ended releases the policy requires a review of, with none yet', counts: '`require_review` (default failed, rolled back, emergency)', excludes: 'reviews not required' },
  { key: 'deployment_frequency', group: 'dora', name: 'Deployment frequency', unit: 'per_day', better: 'up', formula: 'completed releases ÷ days in the period; band as fourkeys: daily (median deploy days per week ≥ 3), weekly (median weeks with a deploy ≥ 1), monthly (median deploy weeks per month ≥ 1), else yearly', counts: 'completed releases (every wave done)', excludes: 'failed and rolled back' },
  { key: 'lead_time', group: 'dora', name: 'Lead time for changes', unit: 'hours', better: 'down', formula: 'median of completed − first commit, or completed − planned (created) where relm has no commits for it', counts: 'completed releases; the first commit is the earliest author date among the commits GitHub\'s compare of the previous completed release\'s tag with the release\'s tag lists (recorded when the rollout completes, see *GitHub: releases and deployments*)', excludes: 'failed and rolled back; the commits of a service without `github_repo`, with GitHub off, of its first completed release (nothing to compare with), or of a comparison without commits: those count from the plan' },
  { key: 'change_failure_rate', group: 'dora', name: 'Change failure rate', unit: 'percent', better: 'down', formula: 'ended releases rolled back, failed or with an incident ÷ ended', counts: 'rolled back, aborted, any incident recorded against it', excludes: 'a failed wave retried and completed without incident' },
  { key: 'time_to_restore', group: 'dora', name: 'Time to restore', unit: 'hours', better: 'down', formula: 'median of incident resolved − recorded, and of rollback completed − first failure', counts: 'resolved incidents of ended releases (`/release incident resolve`, or the incident\'s issue done in Jira); rolled-back releases', excludes: 'incidents not resolved' },
];

export function definitionOf(key: KpiKey): KpiDefinition {
  return KPI_DEFINITIONS.find((d) => d.key === key)!;
}

export type Direction = 'up' | 'down' | 'same' | 'none';

/** One figure for the period, the previous period's beside it, and which way it moved. */
export interface KpiFigure {
  key: KpiKey;
  value: number | null;
  previous: number | null;
  direction: Direction;
  /** Whether the move is for the better (null where neither way is better, or it did not move). */
  improved: boolean | null;
  /** Extra count beside the value: the responses of a mean rating. */
  n?: number;
  previousN?: number;
}

export type DeploymentBand = 'daily' | 'weekly' | 'monthly' | 'yearly' | 'none';

export interface KpiPeriod {
  from: Date;
  to: Date;
}

/** What `kpiReport` answers: the query it answered, and every figure. */
export interface KpiReport {
  label: string;
  /** The services it covers, or null for all. */
  services: string[] | null;
  period: KpiPeriod;
  previousPeriod: KpiPeriod;
  figures: KpiFigure[];
  band: { value: DeploymentBand; previous: DeploymentBand };
}

export function figure(report: Pick<KpiReport, 'figures'>, key: KpiKey): KpiFigure {
  return report.figures.find((f) => f.key === key)!;
}

/** Which way a value moved from the previous period; tiny float differences count as the same. */
export function direction(value: number | null, previous: number | null): Direction {
  if (value === null || previous === null) return 'none';
  if (Math.abs(value - previous) < 1e-9) return 'same';
  return value > previous ? 'up' : 'down';
}

export function makeFigure(key: KpiKey, value: number | null, previous: number | null, extra: { n?: number; previousN?: number } = {}): KpiFigure {
  const moved = direction(value, previous);
  const better = definitionOf(key).better;
  const improved = better === null || moved === 'none' || moved === 'same' ? null : moved === better;
  return { key, value, previous, direction: moved, improved, ...extra };
}

const DAY_MS = 86_400_000;

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * fourkeys' deployment frequency band from the days (local dates, `YYYY-MM-DD`) with a successful
 * deployment: over the period's weeks (Monday-based), daily when the median week has deployments on
 * three days or more, weekly when the median week has one, monthly when the median month has a week
 * with one, else yearly; none without any deployment.
 */
export function deploymentBand(deployDays: readonly string[], period: KpiPeriod): DeploymentBand {
  if (deployDays.length === 0) return 'none';
  const days = new Set(deployDays);
  const weeks = new Map<string, { days: number; month: string }>();
  for (let t = Date.UTC(period.from.getUTCFullYear(), period.from.getUTCMonth(), period.from.getUTCDate()); t < period.to.getTime(); t += DAY_MS) {
    const date = new Date(t);
    const iso = date.toISOString().slice(0, 10);
    const monday = new Date(t - ((date.getUTCDay() + 6) % 7) * DAY_MS).toISOString().slice(0, 10);
    const week = weeks.get(monday) ?? { days: 0, month: monday.slice(0, 7) };
    if (days.has(iso)) week.days++;
    weeks.set(monday, week);
  }
  const list = [...weeks.values()];
  if (median(list.map((w) => w.days)) >= 3) return 'daily';
  if (median(list.map((w) => (w.days > 0 ? 1 : 0))) >= 1) return 'weekly';
  const months = new Map<string, number>();
  for (const w of list) months.set(w.month, (months.get(w.month) ?? 0) + (w.days > 0 ? 1 : 0));
  if (median([...months.values()]) >= 1) return 'monthly';
  return 'yearly';
}
