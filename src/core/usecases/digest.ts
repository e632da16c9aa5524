import type { CoreContext } from '../context.ts';
import { digestPreviousPeriod, digestRange, digestScope, digestTrendWeeks, type DigestSettings } from '../digest.ts';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';
import type { KpiReport } from '../kpi/definitions.ts';
import { kpiReport } from './kpi.ts';
import { TREND_OUTCOMES, outcomeCounts, weeklyOutcomes, type TrendOutcome, type TrendWeek } from '../../store/repositories/release-trend.ts';

export { TREND_OUTCOMES, type TrendOutcome, type TrendWeek };

/** What a digest message shows: the period, the KPIs and the weekly trend behind the chart. */
export interface DigestContent {
  digest: DigestSettings;
  from: Date;
  to: Date;
  /** Who it is about, in words ("team core-banking", "all services"). */
  scope: string;
  /** The weeks of the chart: the period's, and the weeks before it up to a trend's length (digestTrendWeeks). */
  trend: TrendWeek[];
  /** How the releases that ended or were closed in the period ended. */
  outcomes: Record<TrendOutcome, number>;
  /** Releases whose rollout ended in the period (completed, failed, rolled back), as the KPI "Releases ended". */
  ended: number;
  /** Releases closed in the period without a rollout (cancelled, rejected). */
  closed: number;
  /** The KPIs of the period, as `/release kpi` computes them (absent when nothing ended). */
  report?: KpiReport;
}

/** The outbox key of one digest's post for one firing: the same firing twice (two workers, a retried job) is one post. */
export function digestKey(digestId: string, occurrence: Date): string {
  return `digest:${digestId}:${occurrence.toISOString()}`;
}

/**
 * A digest's scheduler fired: writes its post to the outbox, once per digest and firing, for the period
 * ending at `end` (the firing time on relm's clock). `occurrence` is the firing as the scheduler names
 * it, the same on every retry. A digest no longer in relm.yml is left alone.
 */
export async function fireDigest(ctx: CoreContext, digestId: string, occurrence: Date, end: Date): Promise<'queued' | 'already' | 'unknown'> {
  const digest = ctx.settings.digests.find((d) => d.id === digestId);
  if (!digest) return 'unknown';
  const { from, to } = digestRange(digest, end);
  const ids = await enqueueOutbox(ctx.db, [{ kind: 'digest', releaseId: null, dedupeKey: digestKey(digestId, occurrence), payload: { digestId, from: from.toISOString(), to: to.toISOString() } }], ctx.clock());
  if (ids.length === 0) return 'already';
  await ctx.effects.dispatch(ids);
  return 'queued';
}

/** Everything a digest's message is made of, for the period [from, to). */
export async function digestContent(ctx: Pick<CoreContext, 'db' | 'settings'>, digest: DigestSettings, from: Date, to: Date): Promise<DigestContent> {
  const outcomes = await outcomeCounts(ctx.db, { from, to, services: digest.services });
  const ended = outcomes.completed + outcomes.failed + outcomes.rolled_back;
  const closed = outcomes.cancelled + outcomes.rejected;
  // Nothing at all in the period: the post says so, with no figures and no chart.
  const trend = ended + closed > 0 ? await weeklyOutcomes(ctx.db, { to, weeks: digestTrendWeeks({ from, to }), timezone: digest.tz, services: digest.services }) : [];
  const scope = digestScope(digest);
  // The same definitions as the command and the export: one KPI report, computed for the digest's
  // period, against the same span before it (for a quarter, the whole quarter before).
  const previous = digestPreviousPeriod(digest, from);
  const report = ended ? await kpiReport(ctx, { from, to, services: digest.services, label: scope, ...(previous ? { previous } : {}) }) : undefined;
  return { digest, from, to, scope, trend, outcomes, ended, closed, ...(report ? { report } : {}) };
}
