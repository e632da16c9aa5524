import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { DB } from '../schema.ts';

type Db = Kysely<DB> | Transaction<DB>;

export interface KpiRange {
  from: Date;
  to: Date;
}

export interface KpiFilter {
  current: KpiRange;
  previous: KpiRange;
  /** null: every service. */
  services: string[] | null;
  /** Deployment days are counted in this timezone. */
  zone: string;
  toleranceMs: number;
}

/** The sums and percentiles of one period, straight from SQL (hours for times). */
export interface KpiAggregates {
  releases: number;
  onSchedule: number;
  rescheduledOrDelayed: number;
  needingRevision: number;
  backedOut: number;
  failed: number;
  emergency: number;
  withoutTestEvidence: number;
  incidents: number;
  deployments: number;
  changeFailures: number;
  manualMinutes: number | null;
  planToSubmit: [number, number] | null;
  submitToApproved: [number, number] | null;
  approvedToStart: [number, number] | null;
  startToComplete: [number, number] | null;
  leadTime: number | null;
  timeToRestore: number | null;
  ratingMean: number | null;
  ratingResponses: number;
  deployDays: string[];
  unauthorisedVersions: number;
}

const ENDED = ['completed', 'failed', 'rolled_back'];

/** Each per-release flag once, so the figures and the exported rows can never disagree. */
function flags(toleranceMs: number) {
  const tolerance = sql`(${`${Math.round(toleranceMs / 1000)} seconds`}::interval)`;
  return {
    onSchedule: sql<boolean>`(r.state = 'completed' AND r.planned_start IS NOT NULL AND r.started_at IS NOT NULL AND r.started_at <= r.planned_start + ${tolerance} AND r.started_at >= r.planned_start - ${tolerance} AND r.reschedule_count = 0 AND r.revised_after_approval = 0)`,
    rescheduledOrDelayed: sql<boolean>`(r.reschedule_count > 0 OR (r.planned_start IS NOT NULL AND r.started_at > r.planned_start + ${tolerance}))`,
    needingRevision: sql<boolean>`(r.rejections > 0 OR r.revised_after_submit > 0)`,
    withoutTestEvidence: sql<boolean>`(btrim(r.test_evidence) = '')`,
  };
}

const hours = (later: RawBuilder<unknown>, earlier: RawBuilder<unknown>) => sql`(extract(epoch FROM (${later} - ${earlier})) / 3600.0)::float8`;
const LEAD_TIME = hours(sql`r.finished_at`, sql`coalesce(c.first_commit_at, r.created_at)`);

/** The releases of both periods: one index range over finished_at (by service where one is asked for). */
function periodReleases(filter: KpiFilter) {
  const lo = new Date(Math.min(filter.current.from.getTime(), filter.previous.from.getTime()));
  const hi = new Date(Math.max(filter.current.to.getTime(), filter.previous.to.getTime()));
  const { current: c, previous: p } = filter;
  return sql`
    SELECT r.*, CASE WHEN r.finished_at >= ${c.from} AND r.finished_at < ${c.to} THEN 0 ELSE 1 END AS p
    FROM releases r
    WHERE r.finished_at >= ${lo} AND r.finished_at < ${hi}
      AND ((r.finished_at >= ${c.from} AND r.finished_at < ${c.to}) OR (r.finished_at >= ${p.from} AND r.finished_at < ${p.to}))
      AND r.state IN (${sql.join(ENDED)})
      ${filter.services ? sql`AND r.service IN (${sql.join(filter.services.length ? filter.services : [''])})` : sql``}`;
}

function pair(value: unknown): [number, number] | null {
  if (!Array.isArray(value) || value[0] === null || value[0] === undefined) return null;
  return [Number(value[0]), Number(value[1])];
}

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/**
 * Every KPI's inputs for the current period and the previous one, in one set-based query over the
 * releases that ended in either (plus one over unauthorised versions): no release is loaded.
 */
export async function kpiAggregates(db: Db, filter: KpiFilter): Promise<{ current: KpiAggregates; previous: KpiAggregates }> {
  const f = flags(filter.toleranceMs);
  const result = await sql<Record<string, unknown>>`
    WITH r AS (${periodReleases(filter)}),
    inc AS (SELECT i.release_id, count(*)::int AS n FROM incidents i JOIN r ON r.id = i.release_id GROUP BY i.release_id),
    restore AS (
      SELECT r.p, ${hours(sql`i.resolved_at`, sql`i.recorded_at`)} AS h FROM incidents i JOIN r ON r.id = i.release_id WHERE i.resolved_at IS NOT NULL
      UNION ALL
      SELECT r.p, ${hours(sql`r.finished_at`, sql`r.failed_at`)} FROM r WHERE r.state = 'rolled_back' AND r.failed_at IS NOT NULL
    ),
    restored AS (SELECT p, percentile_cont(0.5) WITHIN GROUP (ORDER BY h) AS h FROM restore GROUP BY p),
    rated AS (SELECT r.p, avg(g.score)::float8 AS mean, count(*)::int AS n FROM ratings g JOIN r ON r.id = g.release_id GROUP BY r.p),
    agg AS (
      SELECT r.p,
        count(*)::int AS releases,
        count(*) FILTER (WHERE ${f.onSchedule})::int AS on_schedule,
        count(*) FILTER (WHERE ${f.rescheduledOrDelayed})::int AS rescheduled_or_delayed,
        count(*) FILTER (WHERE ${f.needingRevision})::int AS needing_revision,
        count(*) FILTER (WHERE r.state = 'rolled_back')::int AS backed_out,
        count(*) FILTER (WHERE r.state = 'failed')::int AS failed,
        count(*) FILTER (WHERE r.type = 'emergency')::int AS emergency,
        count(*) FILTER (WHERE ${f.withoutTestEvidence})::int AS without_test_evidence,
        coalesce(sum(inc.n), 0)::int AS incidents,
        count(*) FILTER (WHERE r.state = 'completed')::int AS deployments,
        count(*) FILTER (WHERE r.state IN ('rolled_back', 'failed') OR inc.n > 0)::int AS change_failures,
        sum(r.manual_minutes)::float8 AS manual_minutes,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY ${hours(sql`r.submitted_at`, sql`r.created_at`)}) AS plan_to_submit,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY ${hours(sql`r.approved_at`, sql`r.submitted_at`)}) AS submit_to_approved,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY ${hours(sql`r.started_at`, sql`r.approved_at`)}) AS approved_to_start,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY ${hours(sql`r.finished_at`, sql`r.started_at`)}) FILTER (WHERE r.state = 'completed') AS start_to_complete,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY ${LEAD_TIME}) FILTER (WHERE r.state = 'completed') AS lead_time,
        array_agg(DISTINCT to_char(r.finished_at AT TIME ZONE ${filter.zone}, 'YYYY-MM-DD')) FILTER (WHERE r.state = 'completed') AS deploy_days
      FROM r
      LEFT JOIN inc ON inc.release_id = r.id
      LEFT JOIN release_commits c ON c.release_id = r.id
      GROUP BY r.p
    )
    SELECT agg.*, restored.h AS time_to_restore, rated.mean AS rating_mean, rated.n AS rating_responses
    FROM agg LEFT JOIN restored ON restored.p = agg.p LEFT JOIN rated ON rated.p = agg.p`.execute(db);
  const unauthorised = await sql<{ p: number; n: number }>`
    SELECT CASE WHEN u.detected_at >= ${filter.current.from} AND u.detected_at < ${filter.current.to} THEN 0 ELSE 1 END AS p, count(*)::int AS n
    FROM unauthorised_versions u
    WHERE ((u.detected_at >= ${filter.current.from} AND u.detected_at < ${filter.current.to}) OR (u.detected_at >= ${filter.previous.from} AND u.detected_at < ${filter.previous.to}))
      ${filter.services ? sql`AND u.service IN (${sql.join(filter.services.length ? filter.services : [''])})` : sql``}
    GROUP BY 1`.execute(db);
  const of = (p: number): KpiAggregates => {
    const row = result.rows.find((x) => Number(x.p) === p);
    return {
      releases: Number(row?.releases ?? 0),
      onSchedule: Number(row?.on_schedule ?? 0),
      rescheduledOrDelayed: Number(row?.rescheduled_or_delayed ?? 0),
      needingRevision: Number(row?.needing_revision ?? 0),
      backedOut: Number(row?.backed_out ?? 0),
      failed: Number(row?.failed ?? 0),
      emergency: Number(row?.emergency ?? 0),
      withoutTestEvidence: Number(row?.without_test_evidence ?? 0),
      incidents: Number(row?.incidents ?? 0),
      deployments: Number(row?.deployments ?? 0),
      changeFailures: Number(row?.change_failures ?? 0),
      manualMinutes: num(row?.manual_minutes),
      planToSubmit: pair(row?.plan_to_submit),
      submitToApproved: pair(row?.submit_to_approved),
      approvedToStart: pair(row?.approved_to_start),
      startToComplete: pair(row?.start_to_complete),
      leadTime: num(row?.lead_time),
      timeToRestore: num(row?.time_to_restore),
      ratingMean: num(row?.rating_mean),
      ratingResponses: Number(row?.rating_responses ?? 0),
      deployDays: ((row?.deploy_days as string[] | null) ?? []).filter(Boolean),
      unauthorisedVersions: Number(unauthorised.rows.find((x) => Number(x.p) === p)?.n ?? 0),
    };
  };
  return { current: of(0), previous: of(1) };
}

/** One ended release as the export shows it: the facts each KPI counted it by. */
export interface KpiReleaseRow {
  id: number;
  service: string;
  version: string;
  type: string;
  state: string;
  plannedStart: Date | null;
  createdAt: Date;
  submittedAt: Date | null;
  approvedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date;
  rescheduleCount: number;
  revisedAfterSubmit: number;
  revisedAfterApproval: number;
  rejections: number;
  onSchedule: boolean;
  rescheduledOrDelayed: boolean;
  needingRevision: boolean;
  withoutTestEvidence: boolean;
  incidents: number;
  ratingMean: number | null;
  ratingResponses: number;
  firstCommitAt: Date | null;
  leadTimeHours: number | null;
  manualMinutes: number | null;
  failedAt: Date | null;
}

const toDate = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

/** The releases that ended in the current period, in the order they ended, with the same flags as `kpiAggregates`. */
export async function kpiReleaseRows(db: Db, filter: KpiFilter): Promise<KpiReleaseRow[]> {
  const f = flags(filter.toleranceMs);
  const only = { ...filter, previous: filter.current };
  const result = await sql<Record<string, unknown>>`
    WITH r AS (${periodReleases(only)})
    SELECT r.id, r.service, r.version, r.type, r.state, r.planned_start, r.created_at, r.submitted_at, r.approved_at, r.started_at, r.finished_at,
      r.reschedule_count, r.revised_after_submit, r.revised_after_approval, r.rejections, r.manual_minutes, r.failed_at,
      ${f.onSchedule} AS on_schedule, ${f.rescheduledOrDelayed} AS rescheduled_or_delayed, ${f.needingRevision} AS needing_revision, ${f.withoutTestEvidence} AS without_test_evidence,
      (SELECT count(*)::int FROM incidents i WHERE i.release_id = r.id) AS incidents,
      g.mean AS rating_mean, coalesce(g.n, 0) AS rating_responses, c.first_commit_at,
      CASE WHEN r.state = 'completed' THEN ${LEAD_TIME} END AS lead_time
    FROM r
    LEFT JOIN release_commits c ON c.release_id = r.id
    LEFT JOIN LATERAL (SELECT avg(score)::float8 AS mean, count(*)::int AS n FROM ratings WHERE release_id = r.id) g ON true
    ORDER BY r.finished_at, r.id`.execute(db);
  return result.rows.map((row) => ({
    id: Number(row.id),
    service: String(row.service),
    version: String(row.version),
    type: String(row.type),
    state: String(row.state),
    plannedStart: toDate(row.planned_start),
    createdAt: toDate(row.created_at)!,
    submittedAt: toDate(row.submitted_at),
    approvedAt: toDate(row.approved_at),
    startedAt: toDate(row.started_at),
    finishedAt: toDate(row.finished_at)!,
    rescheduleCount: Number(row.reschedule_count),
    revisedAfterSubmit: Number(row.revised_after_submit),
    revisedAfterApproval: Number(row.revised_after_approval),
    rejections: Number(row.rejections),
    onSchedule: Boolean(row.on_schedule),
    rescheduledOrDelayed: Boolean(row.rescheduled_or_delayed),
    needingRevision: Boolean(row.needing_revision),
    withoutTestEvidence: Boolean(row.without_test_evidence),
    incidents: Number(row.incidents),
    ratingMean: num(row.rating_mean),
    ratingResponses: Number(row.rating_responses),
    firstCommitAt: toDate(row.first_commit_at),
    leadTimeHours: num(row.lead_time),
    manualMinutes: num(row.manual_minutes),
    failedAt: toDate(row.failed_at),
  }));
}

/**
 * The version of the service's release that completed last before `before`, other than this release and
 * its version: the previous tag a release's commits are compared with.
 */
export async function previousCompletedVersion(db: Db, release: { id: number; service: string; version: string }, before: Date): Promise<string | undefined> {
  const row = await db
    .selectFrom('releases')
    .select('version')
    .where('service', '=', release.service)
    .where('state', '=', 'completed')
    .where('finished_at', '<', before)
    .where('id', '<>', release.id)
    .where('version', '<>', release.version)
    .orderBy('finished_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.version;
}

/** Records the commits a release ships (first one wins: a retry or a second start finds it there). */
export async function recordReleaseCommits(db: Db, releaseId: number, commits: { base: string; head: string; count: number; firstCommitAt: Date | null }, at: Date): Promise<void> {
  await db
    .insertInto('release_commits')
    .values({ release_id: releaseId, base: commits.base, head: commits.head, commits: commits.count, first_commit_at: commits.firstCommitAt, recorded_at: at })
    .onConflict((oc) => oc.column('release_id').doNothing())
    .execute();
}

