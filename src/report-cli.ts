import { stringify } from 'csv-stringify/sync';
import type { Kysely } from 'kysely';
import type { DB } from './store/schema.ts';
import type { Settings } from './core/settings.ts';
import { definitionOf } from './core/kpi/definitions.ts';
import { kpiReport, kpiRows, resolveKpiQuery, type KpiExportRow, type KpiReport } from './core/usecases/kpi.ts';

export type ReportFormat = 'csv' | 'json';

export interface ReportOptions {
  from: string;
  to: string;
  service?: string;
  team?: string;
  format: ReportFormat;
  now: Date;
}

/**
 * A spreadsheet runs a cell that starts with =, +, -, @ (or a tab or carriage return) as a formula
 * (OWASP's CSV injection): text cells are prefixed with a quote so a version or title stays text.
 */
export function spreadsheetSafe(value: unknown): unknown {
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

const iso = (d: Date | null) => (d ? d.toISOString() : '');

function figureRows(report: KpiReport): unknown[][] {
  return report.figures.map((f) => {
    const d = definitionOf(f.key);
    return [f.key, d.name, d.group, d.unit, f.value ?? '', f.previous ?? '', f.direction, f.improved === null ? '' : f.improved ? 'better' : 'worse', f.n ?? ''];
  });
}

/** Every column of a release row, in the export's order; the type makes a new fact a compile error until it is listed. */
const RELEASE_COLUMNS = Object.keys({
  id: 1, service: 1, version: 1, type: 1, state: 1, plannedStart: 1, createdAt: 1, submittedAt: 1, approvedAt: 1, startedAt: 1, finishedAt: 1,
  rescheduleCount: 1, revisedAfterSubmit: 1, revisedAfterApproval: 1, rejections: 1, onSchedule: 1, rescheduledOrDelayed: 1, needingRevision: 1,
  withoutTestEvidence: 1, incidents: 1, ratingMean: 1, ratingResponses: 1, firstCommitAt: 1, leadTimeHours: 1, manualMinutes: 1, failedAt: 1,
  reviewed: 1, reviewRequired: 1, incidentRestoreHours: 1, rollbackRestoreHours: 1,
} satisfies Record<keyof KpiExportRow, 1>) as (keyof KpiExportRow)[];

function cellOf(value: unknown): unknown {
  if (value instanceof Date) return iso(value);
  if (typeof value === 'boolean') return String(value);
  // Several values in one cell (the restore times of several incidents), as a spreadsheet splits them.
  if (Array.isArray(value)) return value.join(';');
  return value ?? '';
}

function releaseRows(rows: KpiExportRow[]): { header: string[]; rows: unknown[][] } {
  return { header: RELEASE_COLUMNS, rows: rows.map((row) => RELEASE_COLUMNS.map((key) => cellOf(row[key]))) };
}

/** `relm report`: the KPIs of a period and the per-release rows they come from, as CSV or JSON. */
export async function kpiExport(db: Kysely<DB>, settings: Settings, options: ReportOptions): Promise<string> {
  const words = ['--from', options.from, '--to', options.to, ...(options.service ? ['--service', options.service] : []), ...(options.team ? ['--team', options.team] : [])];
  const query = resolveKpiQuery(settings, words.join(' '), options.now);
  const ctx = { db, settings };
  const [report, rows] = await Promise.all([kpiReport(ctx, query), kpiRows(ctx, query)]);
  if (options.format === 'json') return `${JSON.stringify({ report, releases: rows }, null, 2)}\n`;
  // Two tables one after the other, each with its header: the figures, then the releases behind them.
  const releases = releaseRows(rows);
  const cell = (row: unknown[]) => row.map(spreadsheetSafe);
  return [
    stringify([[`KPIs ${report.label}`, iso(report.period.from), iso(report.period.to), 'previous', iso(report.previousPeriod.from), iso(report.previousPeriod.to)]].map(cell)),
    stringify([['key', 'name', 'group', 'unit', 'value', 'previous', 'direction', 'change', 'responses'], ...figureRows(report)].map(cell)),
    '\n',
    stringify([releases.header, ...releases.rows].map(cell)),
  ].join('');
}
