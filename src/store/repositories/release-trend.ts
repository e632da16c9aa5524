import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../schema.ts';

type Db = Kysely<DB> | Transaction<DB>;

/** The outcomes a release can end in, in the order a chart stacks them. */
export const TREND_OUTCOMES = ['completed', 'failed', 'rolled_back', 'cancelled', 'rejected'] as const;
export type TrendOutcome = (typeof TREND_OUTCOMES)[number];

/** One week of releases that ended, by outcome. */
export interface TrendWeek {
  /** The first day of the week, in the digest's timezone (YYYY-MM-DD): weeks count back from the firing. */
  week: string;
  counts: Record<TrendOutcome, number>;
  /** Completed, failed or rolled back: what reached production. */
  deployed: number;
  /** Of those, failed, rolled back or completed with an incident recorded against it. */
  changeFailures: number;
}

type Services = readonly string[] | null;

const WEEK_MS = 7 * 86_400_000;

const endedAt = sql`coalesce(r.finished_at, r.updated_at)`;

function inServices(services: Services) {
  return services ? sql`AND r.service = ANY(${[...services]}::text[])` : sql``;
}

/**
 * How the releases that ended in [from, to) ended, in one grouped query. A release that ended without a
 * finish time (cancelled, rejected) counts from its last change.
 */
export async function outcomeCounts(db: Db, filter: { from: Date; to: Date; services: Services }): Promise<Record<TrendOutcome, number>> {
  const result = await sql<{ state: TrendOutcome; n: number }>`
    SELECT r.state, count(*)::int AS n FROM releases r
    WHERE r.state = ANY(${[...TREND_OUTCOMES]}::text[]) AND ${endedAt} >= ${filter.from} AND ${endedAt} < ${filter.to} ${inServices(filter.services)}
    GROUP BY r.state
  `.execute(db);
  const counts = Object.fromEntries(TREND_OUTCOMES.map((o) => [o, 0])) as Record<TrendOutcome, number>;
  for (const row of result.rows) counts[row.state] = row.n;
  return counts;
}

/**
 * The `weeks` weeks before `to`, counted back from it: each week is seven days (168 hours), the last
 * ending at `to`, so a weekly digest's own period is exactly the last bar however the cron falls (across
 * a change of summer time the earlier bars begin an hour earlier or later on the clock). Each is named
 * by the day it begins in the digest's timezone. Releases that ended in each, by outcome, every week
 * present (zero where nothing ended), in one grouped query.
 */
export async function weeklyOutcomes(db: Db, filter: { to: Date; weeks: number; timezone: string; services: Services }): Promise<TrendWeek[]> {
  const weeks = Math.max(1, Math.floor(filter.weeks));
  const from = new Date(filter.to.getTime() - weeks * WEEK_MS);
  const result = await sql<{ week: string; outcome: string | null; n: number; deployed: number; failures: number }>`
    WITH weeks AS (SELECT k FROM generate_series(0, ${weeks - 1}::int) AS k),
    ended AS (
      SELECT r.state,
             floor(extract(epoch FROM ${endedAt} - ${from}::timestamptz) / 604800)::int AS k,
             EXISTS (SELECT 1 FROM incidents i WHERE i.release_id = r.id) AS incident
      FROM releases r
      WHERE r.state = ANY(${[...TREND_OUTCOMES]}::text[]) AND ${endedAt} >= ${from} AND ${endedAt} < ${filter.to} ${inServices(filter.services)}
    )
    SELECT w.k, to_char((${from}::timestamptz + w.k * interval '168 hours') AT TIME ZONE ${filter.timezone}, 'YYYY-MM-DD') AS week, e.state AS outcome, count(e.state)::int AS n,
           count(*) FILTER (WHERE e.state IN ('completed', 'failed', 'rolled_back'))::int AS deployed,
           count(*) FILTER (WHERE e.state IN ('failed', 'rolled_back') OR (e.state = 'completed' AND e.incident))::int AS failures
    FROM weeks w LEFT JOIN ended e ON e.k = w.k
    GROUP BY w.k, e.state
    ORDER BY w.k
  `.execute(db);
  const byWeek = new Map<string, TrendWeek>();
  for (const row of result.rows) {
    const week = byWeek.get(row.week) ?? { week: row.week, counts: Object.fromEntries(TREND_OUTCOMES.map((o) => [o, 0])) as Record<TrendOutcome, number>, deployed: 0, changeFailures: 0 };
    if (row.outcome) week.counts[row.outcome as TrendOutcome] = row.n;
    week.deployed += row.deployed;
    week.changeFailures += row.failures;
    byWeek.set(row.week, week);
  }
  return [...byWeek.values()];
}
