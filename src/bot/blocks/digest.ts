import type { KnownBlock } from '@slack/types';
import { DateTime } from 'luxon';
import { TREND_OUTCOMES, type DigestContent, type TrendOutcome } from '../../core/usecases/digest.ts';
import { digestQuarterLabel } from '../../core/digest.ts';
import { escapeText } from './format.ts';
import { kpiBlocks } from './kpi.ts';

const OUTCOME_LABEL: Record<TrendOutcome, string> = { completed: 'completed', failed: 'failed', rolled_back: 'rolled back', cancelled: 'cancelled', rejected: 'rejected' };

/**
 * The period in the digest's timezone, e.g. "25 Nov – 2 Dec 2026 09:00" (the end is the firing time,
 * not included), or for a quarter its name and days, "Q4 2026 (1 Oct – 31 Dec 2026)".
 */
export function digestPeriodText(content: Pick<DigestContent, 'from' | 'to' | 'digest'>): string {
  const from = DateTime.fromJSDate(content.from, { zone: content.digest.tz });
  const to = DateTime.fromJSDate(content.to, { zone: content.digest.tz });
  const quarter = digestQuarterLabel(content.digest, content.from);
  if (quarter) {
    const last = to.minus({ days: 1 });
    return `${quarter} (${from.toFormat(from.year === last.year ? 'd LLL' : 'd LLL yyyy')} – ${last.toFormat('d LLL yyyy')}, ${content.digest.tz})`;
  }
  return `${from.toFormat(from.year === to.year ? 'd LLL' : 'd LLL yyyy')} – ${to.toFormat('d LLL yyyy HH:mm')} (${content.digest.tz})`;
}

/** "3 completed · 1 failed", of the outcomes given that happened. */
function outcomeList(counts: Record<TrendOutcome, number>, outcomes: readonly TrendOutcome[]): string {
  return outcomes.filter((o) => counts[o] > 0).map((o) => `${counts[o]} ${OUTCOME_LABEL[o]}`).join(' · ');
}

/** The chart's title and alt text, which say in words what the picture shows. */
export function digestChartTitle(content: DigestContent): { title: string; altText: string } {
  const totals = Object.fromEntries(TREND_OUTCOMES.map((o) => [o, content.trend.reduce((n, w) => n + w.counts[o], 0)])) as Record<TrendOutcome, number>;
  const weeks = content.trend.length;
  return {
    title: `Releases per week by outcome, with the change failure rate: ${content.scope}`,
    altText: `Releases per week by outcome over the last ${weeks} week${weeks === 1 ? '' : 's'} (${outcomeList(totals, TREND_OUTCOMES).replaceAll(' · ', ', ') || 'none'}) and the change failure rate, the last week ending ${DateTime.fromJSDate(content.to, { zone: content.digest.tz }).toFormat('d LLL yyyy HH:mm')} (${content.digest.tz})`,
  };
}

const ROLLED_OUT: readonly TrendOutcome[] = ['completed', 'failed', 'rolled_back'];
const CLOSED: readonly TrendOutcome[] = ['cancelled', 'rejected'];

/** The digest's message: what it covers, how releases ended, and (when nothing ended) that there were none. */
export function renderDigest(content: DigestContent): { text: string; blocks: KnownBlock[] } {
  const period = digestPeriodText(content);
  const heading = `Release digest for ${escapeText(content.scope)}: ${period}`;
  const header = { type: 'header' as const, text: { type: 'plain_text' as const, text: `Release digest: ${content.scope}`.slice(0, 150) } };
  if (content.ended + content.closed === 0) {
    const text = `${heading}. No releases ended in this period.`;
    return { text, blocks: [header, { type: 'section', text: { type: 'mrkdwn', text: `${period}\nNo releases ended in this period, so there are no figures and no chart this time.` } }] };
  }
  // "Releases ended" is the KPI's: rollouts that ended. Releases closed without one are named apart.
  const ended = (count: string) => (content.ended ? `${count} release${content.ended === 1 ? '' : 's'} ended: ${outcomeList(content.outcomes, ROLLED_OUT)}` : 'No release ended in this period');
  const closed = content.closed ? `; ${outcomeList(content.outcomes, CLOSED)} without a rollout` : '';
  const text = `${heading}. ${ended(String(content.ended))}${closed}.`;
  const weeks = content.trend.length;
  return {
    text,
    blocks: [
      header,
      { type: 'section', text: { type: 'mrkdwn', text: `${period}\n${ended(`*${content.ended}*`)}${closed}` } },
      // The KPI report without its own header: the digest's header already says what it covers.
      ...(content.report ? kpiBlocks(content.report).slice(1) : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `The chart below shows the last ${weeks} weeks' releases by outcome, each week the seven days to ${DateTime.fromJSDate(content.to, { zone: content.digest.tz }).toFormat('cccc HH:mm')} and the last one ending with this period, with the change failure rate as a line.` }] },
    ],
  };
}
