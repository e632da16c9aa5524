import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { calendarQuarter, quarterBefore } from './kpi/quarter.ts';
import type { KpiPeriod } from './kpi/definitions.ts';

/** One `digests:` entry of relm.yml, as relm runs it. */
export interface DigestSettings {
  /** Derived from the entry (see digestId): the Job Scheduler's id, and part of each post's key. */
  id: string;
  channel: string;
  /** A cron pattern (5 fields, or 6 with seconds first), read in `tz`. */
  cron: string;
  tz: string;
  /** As written: `7d`, `30d`, `90d`, `quarter` or another duration. */
  period: string;
  /** The period's length for a duration; null for `quarter` (the last complete calendar quarter, see digestRange). */
  periodMs: number | null;
  /** The services it reports on: a team's, the listed ones, or null for all. */
  services: string[] | null;
  /** The team it reports on, when it names one. */
  team: string | null;
}

/**
 * A digest's id, from everything that makes it what it is: the same entry on every replica gives the
 * same id (so upserting its scheduler is idempotent), and an edited entry is a new digest.
 */
export function digestId(entry: Omit<DigestSettings, 'id' | 'periodMs'>): string {
  const canonical = JSON.stringify([entry.channel, entry.cron.trim().replace(/\s+/g, ' '), entry.tz, entry.period, entry.services ? [...entry.services].sort() : null, entry.team]);
  return `digest-${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}

/** How many weeks a digest's chart shows: a trend of twelve, or the whole period when it is longer. */
export const TREND_MIN_WEEKS = 12;

export function digestTrendWeeks(range: { from: Date; to: Date }): number {
  return Math.max(TREND_MIN_WEEKS, Math.ceil((range.to.getTime() - range.from.getTime()) / (7 * 86_400_000)));
}

/**
 * The period a digest that fires at `end` reports on: the duration before it, or for `quarter` the
 * last complete calendar quarter in the digest's timezone (the same quarters as `/release kpi
 * quarter`, see calendarQuarter), so a digest posted on 1 January is about October to December.
 */
export function digestRange(digest: Pick<DigestSettings, 'periodMs' | 'tz'>, end: Date): { from: Date; to: Date } {
  if (digest.periodMs !== null) return { from: new Date(end.getTime() - digest.periodMs), to: end };
  const { from, to } = calendarQuarter(end, digest.tz, 'complete');
  return { from, to };
}

/** What a digest's period is compared with: the same span before it, or for a quarter the whole quarter before. */
export function digestPreviousPeriod(digest: Pick<DigestSettings, 'periodMs' | 'tz'>, from: Date): KpiPeriod | undefined {
  return digest.periodMs === null ? quarterBefore(from, digest.tz) : undefined;
}

/** A quarter digest's period by name ("Q4 2026"), or undefined for a duration. */
export function digestQuarterLabel(digest: Pick<DigestSettings, 'periodMs' | 'tz'>, from: Date): string | undefined {
  if (digest.periodMs !== null) return undefined;
  const start = DateTime.fromJSDate(from, { zone: digest.tz });
  return `Q${start.quarter} ${start.year}`;
}

/** Who a digest is about, in words: the team, the services, or every service. */
export function digestScope(digest: Pick<DigestSettings, 'services' | 'team'>): string {
  if (digest.team) return `team ${digest.team}`;
  if (digest.services) return digest.services.join(', ');
  return 'all services';
}
