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
// The same states as SQL text, not parameters: the partial indexes of the KPI queries are for exactly
// these, and the planner can only prove that a query's `state IN (...)` matches one from constants.
const ENDED_SQL = sql.raw(ENDED.map((s) => `'${s}'`).join(', '));
// The releases that can have a time to restore, exactly as the predicate of their partial index
// (releases_ended_restore) is written, so the planner can prove the index applies.
const MAY_RESTORE = sql`(r.incident_count > 0 OR r.state = 'rolled_back')`;

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

// date_part is float8 arithmetic; extract(epoch ...) is numeric, several times slower over a year of releases.
const hours = (later: RawBuilder<unknown>, earlier: RawBuilder<unknown>) => sql`(date_part('epoch', ${later} - ${earlier}) / 3600.0)`;
const LEAD_TIME = hours(sql`r.finished_at`, sql`coalesce(c.first_commit_at, r.created_at)`);

const servicesIn = (column: RawBuilder<unknown>, services: string[] | null) =>
  services ? sql`AND ${column} IN (${sql.join(services.length ? services : [''])})` : sql``;

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
      AND r.state IN (${ENDED_SQL})
      ${servicesIn(sql`r.service`, filter.services)}`;
}

function pair(value: unknown): [number, number] | null {
  if (!Array.isArray(value) || value[0] === null || value[0] === undefined) return null;
  return [Number(value[0]), Number(value[1])];
}

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/**
 * Runs a KPI query without JIT compilation: for a query over a year of releases PostgreSQL would
 * otherwise spend seconds compiling expressions it then evaluates once per release. And with work_mem
 * enough for each of its five percentile sorts of a year (about 7.8 MB each) to stay in memory.
 */
async function withoutJit<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  const tune = async (trx: Db) => {
    await sql`SET LOCAL jit = off`.execute(trx);
    await sql`SET LOCAL work_mem = '32MB'`.execute(trx);
  };
  if (db.isTransaction) {
    // The caller's transaction goes on after the report: it gets its own settings back.
    const before = await sql<{ jit: string; work_mem: string }>`SELECT current_setting('jit') AS jit, current_setting('work_mem') AS work_mem`.execute(db);
    const { jit, work_mem } = before.rows[0]!;
    await tune(db);
    try {
      return await work(db);
    } finally {
      await sql`SELECT set_config('jit', ${jit}, true), set_config('work_mem', ${work_mem}, true)`.execute(db);
    }
  }
  return db.transaction().execute(async (trx) => {
    await tune(trx);
    return work(trx);
  });
}

/**
 * Every KPI's inputs for one period, in one set-based query: the releases that ended in it are read
 * from the ended-releases index, which carries every column the figures use (the counts of
 * incidents and ratings and the first commit are kept on the release by triggers), and counted.
 * Only the incidents of releases that had one are looked up, for the time to restore; the days with a
 * deployment are found by asking the index, for each local day, whether one completed that day.
 */
async function periodAggregates(db: Db, filter: KpiFilter, range: KpiRange): Promise<KpiAggregates> {
  const f = flags(filter.toleranceMs);
  const inRange = sql`r.finished_at >= ${range.from} AND r.finished_at < ${range.to} AND r.state IN (${ENDED_SQL}) ${servicesIn(sql`r.service`, filter.services)}`;
  const zone = filter.zone;
  const result = await sql<Record<string, unknown>>`
    WITH r AS (
      SELECT r.id, r.state, r.type, r.manual_minutes, r.incident_count, r.rating_total, r.rating_count,
        ${f.onSchedule} AS on_schedule, ${f.rescheduledOrDelayed} AS rescheduled_or_delayed, ${f.needingRevision} AS needing_revision,
        ${hours(sql`r.submitted_at`, sql`r.created_at`)} AS plan_to_submit,
        ${hours(sql`r.approved_at`, sql`r.submitted_at`)} AS submit_to_approved,
        ${hours(sql`r.started_at`, sql`r.approved_at`)} AS approved_to_start,
        ${hours(sql`r.finished_at`, sql`r.started_at`)} AS start_to_complete,
        ${hours(sql`r.finished_at`, sql`coalesce(r.first_commit_at, r.created_at)`)} AS lead_time
      FROM releases r
      WHERE ${inRange}
    ),
    -- The times to restore: the resolved incidents of the few releases that had one, each release's
    -- looked up by its index (never a scan of every incident ever recorded), and each rollback's own.
    -- These releases are read from their own small index, not picked out of the period's.
    restore AS (
      SELECT x.h FROM releases r CROSS JOIN LATERAL unnest(
        CASE WHEN r.incident_count > 0 THEN ARRAY(SELECT ${hours(sql`i.resolved_at`, sql`i.recorded_at`)} FROM incidents i WHERE i.release_id = r.id AND i.resolved_at IS NOT NULL) ELSE '{}' END
        || CASE WHEN r.state = 'rolled_back' AND r.failed_at IS NOT NULL THEN ARRAY[${hours(sql`r.finished_at`, sql`r.failed_at`)}] ELSE '{}' END) AS x(h)
      WHERE ${inRange} AND ${MAY_RESTORE}
    ),
    agg AS (
      SELECT
        count(*)::int AS releases,
        count(*) FILTER (WHERE r.on_schedule)::int AS on_schedule,
        count(*) FILTER (WHERE r.rescheduled_or_delayed)::int AS rescheduled_or_delayed,
        count(*) FILTER (WHERE r.needing_revision)::int AS needing_revision,
        count(*) FILTER (WHERE r.state = 'rolled_back')::int AS backed_out,
        count(*) FILTER (WHERE r.state = 'failed')::int AS failed,
        count(*) FILTER (WHERE r.type = 'emergency')::int AS emergency,
        coalesce(sum(r.incident_count), 0)::int AS incidents,
        count(*) FILTER (WHERE r.state = 'completed')::int AS deployments,
        count(*) FILTER (WHERE r.state IN ('rolled_back', 'failed') OR r.incident_count > 0)::int AS change_failures,
        sum(r.manual_minutes)::float8 AS manual_minutes,
        -- The mean of every rating of these releases: their total over their number.
        sum(r.rating_total)::float8 / nullif(sum(r.rating_count), 0) AS rating_mean,
        coalesce(sum(r.rating_count), 0)::int AS rating_responses,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY r.plan_to_submit) AS plan_to_submit,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY r.submit_to_approved) AS submit_to_approved,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY r.approved_to_start) AS approved_to_start,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY r.start_to_complete) FILTER (WHERE r.state = 'completed') AS start_to_complete,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY r.lead_time) FILTER (WHERE r.state = 'completed') AS lead_time
      FROM r
    ),
    -- Each local day of the period, as the instants it starts and ends (a local midnight is well defined
    -- even across a DST change), clipped to the period.
    days AS (
      SELECT to_char(local, 'YYYY-MM-DD') AS day,
        greatest(local AT TIME ZONE ${zone}, ${range.from}::timestamptz) AS start,
        least((local + interval '1 day') AT TIME ZONE ${zone}, ${range.to}::timestamptz) AS stop
      FROM generate_series(date_trunc('day', ${range.from}::timestamptz AT TIME ZONE ${zone}), ${range.to}::timestamptz AT TIME ZONE ${zone}, interval '1 day') AS local
    )
    SELECT agg.*,
      (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY h) FROM restore) AS time_to_restore,
      -- Few releases lack test evidence; they are counted from their own small index.
      (SELECT count(*)::int FROM releases r WHERE ${inRange} AND ${f.withoutTestEvidence}) AS without_test_evidence,
      (SELECT array_agg(d.day ORDER BY d.day) FROM days d
        WHERE d.start < d.stop AND EXISTS (SELECT 1 FROM releases r WHERE r.state = 'completed' AND r.finished_at >= d.start AND r.finished_at < d.stop ${servicesIn(sql`r.service`, filter.services)})) AS deploy_days,
      (SELECT count(*)::int FROM unauthorised_versions u WHERE u.detected_at >= ${range.from} AND u.detected_at < ${range.to} ${servicesIn(sql`u.service`, filter.services)}) AS unauthorised_versions
    FROM agg`.execute(db);
  const row = result.rows[0];
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
    unauthorisedVersions: Number(row?.unauthorised_versions ?? 0),
  };
}

/**
 * Every KPI's inputs for the current period and the previous one: one set-based query per period,
 * the two at once on two connections (one after the other inside a transaction). No release is loaded.
 */
export async function kpiAggregates(db: Db, filter: KpiFilter): Promise<{ current: KpiAggregates; previous: KpiAggregates }> {
  const one = (range: KpiRange) => withoutJit(db, (trx) => periodAggregates(trx, filter, range));
  if (db.isTransaction) return { current: await one(filter.current), previous: await one(filter.previous) };
  const [current, previous] = await Promise.all([one(filter.current), one(filter.previous)]);
  return { current, previous };
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
  /** Whether a post-release review was written (Reviews done). */
  reviewed: boolean;
  /** The hours from recording to resolution of each of its resolved incidents, in the order recorded (Time to restore). */
  incidentRestoreHours: number[];
  /** For a rolled-back release, the hours from its first failure to the rollback completing (Time to restore). */
  rollbackRestoreHours: number | null;
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
      CASE WHEN r.state = 'completed' THEN ${LEAD_TIME} END AS lead_time,
      r.reviewed,
      ARRAY(SELECT ${hours(sql`i.resolved_at`, sql`i.recorded_at`)} FROM incidents i WHERE i.release_id = r.id AND i.resolved_at IS NOT NULL ORDER BY i.recorded_at, i.id) AS incident_restore,
      CASE WHEN r.state = 'rolled_back' AND r.failed_at IS NOT NULL THEN ${hours(sql`r.finished_at`, sql`r.failed_at`)} END AS rollback_restore
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
    reviewed: Boolean(row.reviewed),
    incidentRestoreHours: (Array.isArray(row.incident_restore) ? row.incident_restore : []).map(Number),
    rollbackRestoreHours: num(row.rollback_restore),
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

