import type { KnownBlock } from '@slack/types';
import { HOME_KPI_DAYS, type HomeData, type PendingApproval } from '../../core/usecases/home.ts';
import { kpiSummaryLine } from './kpi.ts';
import { releaseKey, type StoredRelease } from '../../core/release.ts';
import { decisionButtons } from './approval-request.ts';
import { clip, escapeText, mention, slackTime, stateLabel } from './format.ts';

/** Slack's limits for a Home view: 100 blocks, 3,000 characters of text in a section. */
export const HOME_MAX_BLOCKS = 100;
export const SECTION_MAX_CHARS = 3_000;
/** Requests shown with their own buttons (two blocks each); the rest are counted. */
export const HOME_MAX_PENDING = 15;
/** Lines in each of the other lists (all in one section, within its 3,000 characters). */
export const HOME_MAX_LINES = 15;

export const HOME_CALLBACK_ID = 'relm_home';

export interface HomeView {
  type: 'home';
  callback_id: string;
  blocks: KnownBlock[];
}

function headline(r: StoredRelease): string {
  return `*${releaseKey(r.id)}* · ${escapeText(r.service)} ${escapeText(r.version)}: ${clip(r.title, 120)}`;
}

function more(count: number, hint: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: `… and ${count} more${hint ? `: ${hint}` : ''}` }] };
}

function none(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: `_${text}_` }] };
}

function title(text: string, count: number): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: `*${text}*${count ? ` (${count})` : ''}` } };
}

function pendingBlocks(pending: PendingApproval[]): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  for (const { release: r, approvals, required } of pending.slice(0, HOME_MAX_PENDING)) {
    const when = r.plannedStart ? `starts ${slackTime(r.plannedStart)}` : 'start not set';
    const text = `${headline(r)}\n${r.type} · risk ${r.risk} · ${when} · planned by ${mention(r.requester)} · ${approvals} of ${required} approval${required === 1 ? '' : 's'} so far`;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, SECTION_MAX_CHARS) } }, decisionButtons(r, `home_decide_${r.id}_${r.revision}`));
  }
  if (pending.length > HOME_MAX_PENDING) blocks.push(more(pending.length - HOME_MAX_PENDING, '`/release list --state submitted`'));
  return blocks;
}

/**
 * A list as one section of lines, as many as fit in HOME_MAX_LINES and 3,000 characters, and a
 * "… and N more" for the rest.
 */
function listBlocks(releases: StoredRelease[], line: (r: StoredRelease) => string, hint: string): KnownBlock[] {
  const lines: string[] = [];
  let length = 0;
  for (const r of releases) {
    const text = `• ${line(r)}`;
    if (lines.length >= HOME_MAX_LINES || length + text.length + 1 > SECTION_MAX_CHARS) break;
    lines.push(text);
    length += text.length + 1;
  }
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } }];
  if (releases.length > lines.length) blocks.push(more(releases.length - lines.length, hint));
  return blocks;
}

const mine = (r: StoredRelease) => `${headline(r)} · ${stateLabel(r.state)}${r.plannedStart && ['approved', 'scheduled'].includes(r.state) ? ` · starts ${slackTime(r.plannedStart)}` : ''}`;
const coming = (r: StoredRelease) =>
  `${headline(r)} · ${r.state === 'scheduled' && r.plannedStart ? `starts ${slackTime(r.plannedStart)}` : stateLabel(r.state)}${r.impact ? ` · _${clip(r.impact, 150)}_` : ''}`;
const ended = (r: StoredRelease) => `${headline(r)} · ${stateLabel(r.state)}${r.finishedAt ? ` ${slackTime(r.finishedAt)}` : ''}`;

/**
 * One person's App Home: requests waiting for their decision (with the same Approve and Reject buttons
 * as the request itself), their releases, what is coming for the services they hear about, and what
 * ended lately. Always within Slack's 100 blocks; every user-written string is escaped.
 */
export function renderHome(home: HomeData, notice?: string): HomeView {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'relm: your releases' } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `As of ${slackTime(home.at)} · \`/release help\` for everything else` }] },
  ];
  if (home.kpi) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `*Last ${HOME_KPI_DAYS} days* (all services): ${kpiSummaryLine(home.kpi)} · \`/release kpi\` for every figure` }] });
  if (notice) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: notice.slice(0, SECTION_MAX_CHARS) } });
  blocks.push({ type: 'divider' }, title('Waiting for your approval', home.pendingApprovals.length));
  blocks.push(...(home.pendingApprovals.length ? pendingBlocks(home.pendingApprovals) : [none('Nothing waits for your decision.')]));
  blocks.push({ type: 'divider' }, title('Your releases', home.myReleases.length));
  blocks.push(...(home.myReleases.length ? listBlocks(home.myReleases, mine, '`/release list`') : [none('You have no release under way.')]));
  blocks.push({ type: 'divider' }, title('Coming up for you (14 days)', home.upcoming.length));
  blocks.push(...(home.upcoming.length ? listBlocks(home.upcoming, coming, '`/release calendar`') : [none('Nothing planned for the services you follow.')]));
  blocks.push({ type: 'divider' }, title('Recent outcomes (14 days)', home.outcomes.length));
  blocks.push(...(home.outcomes.length ? listBlocks(home.outcomes, ended, '') : [none('No release ended lately.')]));
  return { type: 'home', callback_id: HOME_CALLBACK_ID, blocks: blocks.slice(0, HOME_MAX_BLOCKS) };
}
