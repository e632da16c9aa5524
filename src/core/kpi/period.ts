import { DateTime } from 'luxon';
import { DomainError } from '../errors.ts';
import { fragment } from '../text.ts';
import type { Settings } from '../settings.ts';
import type { KpiPeriod } from './definitions.ts';
import { calendarQuarter } from './quarter.ts';

/** What a KPI report is asked for: a period [from, to), the services (null: all) and how to name it. */
export interface KpiQuery {
  from: Date;
  to: Date;
  services: string[] | null;
  label: string;
  /** The period compared with; the same length just before `from` unless set (a quarter's is the previous quarter's same span). */
  previous?: KpiPeriod;
}

export const KPI_PERIODS = ['7d', '30d', '90d', 'quarter'] as const;
/** `Nd` periods beyond the named ones, up to about three years. */
const MAX_DAYS = 1_100;
const DAY_MS = 86_400_000;

export const KPI_USAGE = '`/release kpi [7d|30d|90d|quarter] [service|team]`, or `--from 2026-11-01 --to 2026-11-30`';

function invalid(message: string): DomainError {
  return new DomainError('invalid_input', message, { field: 'period' });
}

/** A `YYYY-MM-DD` date (or a full ISO 8601 time) in relm's timezone; `end` makes a date mean the end of that day. */
export function parseKpiDate(text: string, zone: string, flag: string, end = false): Date {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? DateTime.fromISO(text, { zone }) : DateTime.fromISO(text, { zone, setZone: true });
  if (!date.isValid) throw invalid(`\`${flag}\` takes a date like 2026-11-01 (or an ISO 8601 time); "${fragment(text, 40)}" is not one.`);
  return (end && /^\d{4}-\d{2}-\d{2}$/.test(text) ? date.plus({ days: 1 }) : date).toJSDate();
}

/** The previous period: as long as this one, just before it. */
export function previousPeriod(query: Pick<KpiQuery, 'from' | 'to' | 'previous'>): KpiPeriod {
  if (query.previous) return query.previous;
  const length = query.to.getTime() - query.from.getTime();
  return { from: new Date(query.from.getTime() - length), to: query.from };
}

/** The services a name stands for: a service key, a team of `teams:`, or an error that names both lists. */
export function resolveScope(settings: Settings, name: string | undefined): { services: string[] | null; label: string } {
  if (!name) return { services: null, label: 'all services' };
  const key = name.toLowerCase();
  if (Object.hasOwn(settings.services, key)) return { services: [key], label: key };
  if (Object.hasOwn(settings.teams, key)) return { services: [...settings.teams[key]!], label: `team ${key}` };
  const services = Object.keys(settings.services).join(', ') || 'none';
  const teams = Object.keys(settings.teams).join(', ') || 'none';
  throw new DomainError('invalid_input', `"${fragment(name, 40)}" is neither a service nor a team. Services: ${services}. Teams: ${teams}.`, { field: 'service' });
}

/**
 * The scope of `/release kpi`: a word in the period's place that names no service or team may be a
 * period the reader meant ("month", "q4"), so the answer says what a period is too.
 */
function kpiScope(settings: Settings, name: string | undefined, flagged: boolean): ReturnType<typeof resolveScope> {
  try {
    return resolveScope(settings, name);
  } catch (error) {
    if (flagged || !(error instanceof DomainError)) throw error;
    throw new DomainError('invalid_input', `${error.message} Nor is it a period: 7d, 30d, 90d, quarter or Nd up to ${MAX_DAYS}d. ${KPI_USAGE}.`, { field: 'period' });
  }
}

function period(word: string, zone: string, now: Date): { from: Date; to: Date; previous?: KpiPeriod; label: string } | undefined {
  const lower = word.toLowerCase();
  if (lower === 'quarter') return calendarQuarter(now, zone, 'so_far');
  const days = /^(\d+)d$/.exec(lower);
  if (!days) return undefined;
  const n = Number(days[1]);
  if (n < 1 || n > MAX_DAYS) throw invalid(`A period is 1d to ${MAX_DAYS}d; "${fragment(word, 20)}" is not.`);
  return { from: new Date(now.getTime() - n * DAY_MS), to: now, label: `last ${n} days` };
}

/**
 * Reads `[7d|30d|90d|quarter|Nd] [service|team]` or `--from <date> --to <date> [service|team]` (also
 * `--service`/`--team`) into a query; 30 days for all services when nothing is given. Throws a
 * DomainError a person can act on for an unknown period, service or team.
 */
export function resolveKpiQuery(settings: Settings, text: string, now: Date): KpiQuery {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const flag = /^(?:--|—)([a-z]+)(?:=(.*))?$/i.exec(word);
    if (!flag) {
      positional.push(word);
      continue;
    }
    const name = flag[1]!.toLowerCase();
    if (!['from', 'to', 'service', 'team'].includes(name)) throw invalid(`Unknown option \`--${fragment(name, 20)}\`. ${KPI_USAGE}.`);
    const value = flag[2] ?? words[++i];
    if (!value) throw invalid(`\`--${name}\` needs a value. ${KPI_USAGE}.`);
    if (flags.has(name)) throw invalid(`\`--${name}\` is given twice.`);
    flags.set(name, value);
  }
  const zone = settings.timezone;
  let scopeName = flags.get('service') ?? flags.get('team');
  let range: { from: Date; to: Date; previous?: KpiPeriod; label: string } | undefined;
  let fromFlags: typeof range;
  if (flags.has('from') || flags.has('to')) {
    if (!flags.has('from')) throw invalid(`\`--to\` needs \`--from\` too. ${KPI_USAGE}.`);
    const from = parseKpiDate(flags.get('from')!, zone, '--from');
    const to = flags.has('to') ? parseKpiDate(flags.get('to')!, zone, '--to', true) : now;
    if (to.getTime() <= from.getTime()) throw invalid('`--to` must come after `--from`.');
    if (to.getTime() - from.getTime() > MAX_DAYS * DAY_MS) throw invalid(`A period is at most ${MAX_DAYS} days.`);
    range = fromFlags = { from, to, label: `${flags.get('from')} to ${flags.get('to') ?? 'now'}` };
  }
  for (const word of positional) {
    // A period-shaped word is a period wherever it stands, so a second one is called what it is.
    const named = period(word, zone, now);
    if (named && range) throw invalid(`Give one period: ${range === fromFlags ? '`--from`/`--to` or a named one, not both' : `"${fragment(word, 20)}" is a second one`}. ${KPI_USAGE}.`);
    if (named) range = named;
    else if (scopeName === undefined) scopeName = word;
    else throw invalid(`"${fragment(word, 40)}" is not a period (7d, 30d, 90d, quarter); give one service or team. ${KPI_USAGE}.`);
  }
  // A first word that is neither a period nor a known service or team is most likely a mistyped period.
  if (scopeName !== undefined && !range && /^\d/.test(scopeName)) throw invalid(`"${fragment(scopeName, 20)}" is not a period: use 7d, 30d, 90d, quarter or Nd up to ${MAX_DAYS}d.`);
  const scope = kpiScope(settings, scopeName, flags.has('service') || flags.has('team'));
  range ??= period('30d', zone, now)!;
  return { from: range.from, to: range.to, services: scope.services, label: `${range.label}, ${scope.label}`, ...(range.previous ? { previous: range.previous } : {}) };
}
