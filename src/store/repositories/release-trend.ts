import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../schema.ts';

type Db = Kysely<DB> | Transaction<DB>;

/** The outcomes a release can end in, in the order a chart stacks them. */
export const TREND_OUTCOMES = ['completed', 'failed', 'rolled_back', 'cancelled', 'rejected'] as const;
export type TrendOutcome = (typeof TREND_OUTCOMES)[number];

/** One week of releases that ended, by outcome. */
export interface TrendWeek {
  /** The Monday the week starts on, in the digest's timezone (YYYY-MM-DD). */
  week: string;
  counts: Record<TrendOutcome, number>;
  /** Completed, failed or rolled back: what reached production. */
  deployed: number;
  /** Of those, failed, rolled back or completed with an incident recorded against it. */
  changeFailures: number;
}

/**
 * Releases that ended in [from, to), counted per local week (weeks start on Monday in `timezone`) and
 * outcome, every week of the range present (zero where nothing ended), in one grouped query. A release
 * that ended without a finish time (cancelled, rejected) counts from its last change.
 */
export async function weeklyOutcomes(db: Db, filter: { from: Date; to: Date; timezone: string; services: readonly string[] | null }): Promise<TrendWeek[]> {
  const services = filter.services ? sql`AND r.service = ANY(${[...filter.services]}::text[])` : sql``;
  const result = await sql<{ week: string; outcome: string | null; n: number; deployed: number; failures: number }>`
    WITH weeks AS (
      SELECT generate_series(
        date_trunc('week', ${filter.from}::timestamptz AT TIME ZONE ${filter.timezone}),
        date_trunc('week', (${filter.to}::timestamptz - interval '1 millisecond') AT TIME ZONE ${filter.timezone}),
        interval '1 week'
      ) AS week
    ),
    ended AS (
      SELECT r.state,
             date_trunc('week', coalesce(r.finished_at, r.updated_at) AT TIME ZONE ${filter.timezone}) AS week,
             EXISTS (SELECT 1 FROM incidents i WHERE i.release_id = r.id) AS incident
      FROM releases r
      WHERE r.state = ANY(${[...TREND_OUTCOMES]}::text[])
        AND coalesce(r.finished_at, r.updated_at) >= ${filter.from}
        AND coalesce(r.finished_at, r.updated_at) < ${filter.to}
        ${services}
    )
    SELECT to_char(w.week, 'YYYY-MM-DD') AS week, e.state AS outcome, count(e.state)::int AS n,
           count(*) FILTER (WHERE e.state IN ('completed', 'failed', 'rolled_back'))::int AS deployed,
           count(*) FILTER (WHERE e.state IN ('failed', 'rolled_back') OR (e.state = 'completed' AND e.incident))::int AS failures
    FROM weeks w LEFT JOIN ended e ON e.week = w.week
    GROUP BY w.week, e.state
    ORDER BY w.week
  `.execute(db);
  const weeks = new Map<string, TrendWeek>();
  for (const row of result.rows) {
    const week = weeks.get(row.week) ?? { week: row.week, counts: Object.fromEntries(TREND_OUTCOMES.map((o) => [o, 0])) as Record<TrendOutcome, number>, deployed: 0, changeFailures: 0 };
    if (row.outcome) week.counts[row.outcome as TrendOutcome] = row.n;
    week.deployed += row.deployed;
    week.changeFailures += row.failures;
    weeks.set(row.week, week);
  }
  return [...weeks.values()];
}
