import type { KnownBlock, SectionBlock } from '@slack/types';
import { definitionOf, figure, KPI_DEFINITIONS, type KpiFigure, type KpiGroup, type KpiReport } from '../../core/kpi/definitions.ts';
import { formatKpiChange, formatKpiValue } from '../../core/kpi/format.ts';
import { escapeText, slackTime } from './format.ts';

/** Slack allows 10 fields per section. */
const FIELDS_PER_SECTION = 10;

const MARK = { true: ':large_green_circle:', false: ':red_circle:', null: ':white_circle:' } as const;

function field(f: KpiFigure): { type: 'mrkdwn'; text: string } {
  const d = definitionOf(f.key);
  const extra = f.key === 'satisfaction' ? ` (${f.n ?? 0} response${f.n === 1 ? '' : 's'})` : '';
  return { type: 'mrkdwn', text: `*${escapeText(d.name)}*\n${formatKpiValue(d.unit, f.value)}${extra}  ${MARK[String(f.improved) as keyof typeof MARK]} ${escapeText(formatKpiChange(f))}` };
}

function sections(report: KpiReport, group: KpiGroup, skip: ReadonlySet<string>): SectionBlock[] {
  const figures = KPI_DEFINITIONS.filter((d) => d.group === group && !skip.has(d.key)).map((d) => figure(report, d.key));
  const blocks: SectionBlock[] = [];
  for (let i = 0; i < figures.length; i += FIELDS_PER_SECTION) blocks.push({ type: 'section', fields: figures.slice(i, i + FIELDS_PER_SECTION).map(field) });
  return blocks;
}

const BAND = { daily: 'daily', weekly: 'weekly', monthly: 'monthly', yearly: 'yearly', none: 'no deployments' } as const;

/** The KPI report as Block Kit: the period, the ITIL figures, then DORA's four keys, each with the previous period beside it. */
export function kpiBlocks(report: KpiReport): KnownBlock[] {
  const releases = figure(report, 'releases');
  const period = `${slackTime(report.period.from)} – ${slackTime(report.period.to)}, against ${slackTime(report.previousPeriod.from)} – ${slackTime(report.previousPeriod.to)}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `KPIs: ${report.label}`.slice(0, 150) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `${period} · ${releases.value ?? 0} release${releases.value === 1 ? '' : 's'} ended (${releases.previous ?? 0} before) · :large_green_circle: better :red_circle: worse` }] },
  ];
  if (!releases.value) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: '_No release ended in this period._' } });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: '*ITIL release management*' } }, ...sections(report, 'itil', new Set(['releases'])));
  blocks.push(
    { type: 'divider' },
    { type: 'section', text: { type: 'mrkdwn', text: `*DORA* · deployment frequency band: *${BAND[report.band.value]}* (before: ${BAND[report.band.previous]})` } },
    ...sections(report, 'dora', new Set()),
    { type: 'context', elements: [{ type: 'mrkdwn', text: 'Definitions: the KPI tables in relm’s README. `/release kpi [7d|30d|90d|quarter] [service|team]`' }] },
  );
  return blocks;
}

/** One line for App Home: the figures people look at first. */
export function kpiSummaryLine(report: KpiReport): string {
  const show = (key: Parameters<typeof figure>[1]) => {
    const f = figure(report, key);
    return `${escapeText(definitionOf(key).name)} ${formatKpiValue(definitionOf(key).unit, f.value)}`;
  };
  return [show('releases'), show('on_schedule'), show('change_failure_rate'), show('deployment_frequency'), show('lead_time')].join(' · ');
}
