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

/** The chart's title and alt text, which say in words what the picture shows. */
export function digestChartTitle(content: DigestContent): { title: string; altText: string } {
  const totals = TREND_OUTCOMES.map((o) => [o, content.trend.reduce((n, w) => n + w.counts[o], 0)] as const).filter(([, n]) => n > 0);
  return {
    title: `Releases per week by outcome, with the change failure rate: ${content.scope}`,
    altText: `Weekly releases by outcome (${totals.map(([o, n]) => `${n} ${OUTCOME_LABEL[o]}`).join(', ')}) and the change failure rate, ${digestPeriodText(content)}`,
  };
}

/** The digest's message: what it covers, how releases ended, and (when nothing ended) that there were none. */
export function renderDigest(content: DigestContent): { text: string; blocks: KnownBlock[] } {
  const period = digestPeriodText(content);
  const heading = `Release digest for ${escapeText(content.scope)}: ${period}`;
  if (content.ended === 0) {
    const text = `${heading}. No releases ended in this period.`;
    return { text, blocks: [{ type: 'header', text: { type: 'plain_text', text: `Release digest: ${content.scope}`.slice(0, 150) } }, { type: 'section', text: { type: 'mrkdwn', text: `${period}\nNo releases ended in this period, so there are no figures and no chart this time.` } }] };
  }
  const totals = TREND_OUTCOMES.map((o) => [o, content.trend.reduce((n, w) => n + w.counts[o], 0)] as const).filter(([, n]) => n > 0);
  const outcomes = totals.map(([o, n]) => `${n} ${OUTCOME_LABEL[o]}`).join(' · ');
  const text = `${heading}. ${content.ended} release${content.ended === 1 ? '' : 's'} ended: ${outcomes}.`;
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `Release digest: ${content.scope}`.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: `${period}\n*${content.ended}* release${content.ended === 1 ? '' : 's'} ended: ${outcomes}` } },
      // The KPI report without its own header: the digest's header already says what it covers.
      ...(content.report ? kpiBlocks(content.report).slice(1) : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'The chart below shows each week’s releases by outcome, with the change failure rate as a line.' }] },
    ],
  };
}
