import { DateTime } from 'luxon';
import type { KpiPeriod } from './definitions.ts';

// Calendar quarters, on their own (no settings), so the digests' settings can use them too.

/** A calendar quarter with the period it is compared with, and its name ("Q4 2026"). */
export interface QuarterPeriod extends KpiPeriod {
  previous: KpiPeriod;
  label: string;
}

/**
 * What "quarter" means wherever relm reports one: calendar quarters (January, April, July, October)
 * in `zone`. `so_far` is the quarter `at` falls in, from its start to `at`, against the same span of
 * the quarter before (what `/release kpi quarter` answers); `complete` is the last quarter wholly
 * before `at`, against the whole quarter before it (what a digest reports: a digest that fires on
 * 1 January at 09:00 is about October to December).
 */
export function calendarQuarter(at: Date, zone: string, which: 'so_far' | 'complete'): QuarterPeriod {
  const current = DateTime.fromJSDate(at, { zone }).startOf('quarter');
  if (which === 'so_far') {
    const elapsed = at.getTime() - current.toMillis();
    const before = current.minus({ quarters: 1 });
    return { from: current.toJSDate(), to: at, previous: { from: before.toJSDate(), to: new Date(Math.min(before.toMillis() + elapsed, current.toMillis())) }, label: `Q${current.quarter} ${current.year} so far` };
  }
  const start = current.minus({ quarters: 1 });
  return { from: start.toJSDate(), to: current.toJSDate(), previous: quarterBefore(start.toJSDate(), zone), label: `Q${start.quarter} ${start.year}` };
}

/** The whole calendar quarter before the one that starts at `start` (in `zone`). */
export function quarterBefore(start: Date, zone: string): KpiPeriod {
  const from = DateTime.fromJSDate(start, { zone }).startOf('quarter');
  return { from: from.minus({ quarters: 1 }).toJSDate(), to: from.toJSDate() };
}
