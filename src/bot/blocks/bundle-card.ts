import type { KnownBlock, Button } from '@slack/types';
import type { MemberProgress } from '../../core/bundles.ts';
import type { BundleCard } from '../../core/usecases/bundles.ts';
import { releaseKey } from '../../core/release.ts';
import type { RenderedMessage } from './card.ts';
import { escapeText, mention, renderMarks, slackTime } from './format.ts';
import { BUNDLE_ACTIONS } from './ids.ts';

const PROGRESS: Record<MemberProgress, string> = {
  waiting: ':white_circle: waiting',
  running: ':arrow_forward: rolling out',
  failed: ':x: failed',
  passed: ':fast_forward: failed, gone past',
  skipped: ':heavy_minus_sign: cancelled',
  completed: ':white_check_mark: completed',
  rolling_back: ':rewind: rolling back',
  rolled_back: ':leftwards_arrow_with_hook: rolled back',
};

const STATES: Record<string, string> = {
  open: ':hourglass: Waiting for approval',
  approved: ':white_check_mark: Approved',
  in_progress: ':arrow_forward: Rolling out',
  paused: ':double_vertical_bar: Paused: a release failed',
  rolling_back: ':rewind: Rolling back',
  completed: ':tada: Completed',
  rolled_back: ':leftwards_arrow_with_hook: Rolled back',
  cancelled: ':no_entry_sign: Cancelled',
};

function button(text: string, actionId: string, bundleId: number, style?: 'primary' | 'danger'): Button {
  return { type: 'button', text: { type: 'plain_text', text }, action_id: actionId, value: String(bundleId), ...(style ? { style } : {}) };
}

/** What can be done with the bundle now, as buttons (each checks again who presses it). */
function controls(view: BundleCard): Button[] {
  const id = view.bundle.id;
  switch (view.bundle.state) {
    case 'open':
      return view.members.length ? [button('Approve the bundle', BUNDLE_ACTIONS.approve, id, 'primary')] : [];
    case 'approved':
      return view.bundle.plannedStart ? [] : [button('Start', BUNDLE_ACTIONS.start, id, 'primary')];
    case 'paused':
      return [button('Retry the failed release', BUNDLE_ACTIONS.retry, id, 'primary'), button('Continue with the next', BUNDLE_ACTIONS.continue, id), button('Roll back the bundle', BUNDLE_ACTIONS.rollback, id, 'danger')];
    case 'in_progress':
    case 'completed':
      return [button('Roll back the bundle', BUNDLE_ACTIONS.rollback, id, 'danger')];
    default:
      return [];
  }
}

/** The one card of a bundle: its state, every member in run order with where it stands, and its controls. */
export function renderBundleCard(view: BundleCard): RenderedMessage {
  const { bundle } = view;
  const head = `*BUN-${bundle.id} “${escapeText(bundle.name)}”* · ${view.members.length} release${view.members.length === 1 ? '' : 's'}, in this order\n${STATES[bundle.state] ?? escapeText(bundle.state)}${bundle.plannedStart ? ` · starts ${slackTime(bundle.plannedStart)}` : ''}`;
  const lines = view.members.map((m, i) => `${i + 1}. *${releaseKey(m.releaseId)}* ${escapeText(m.service)} ${escapeText(m.version)} · ${PROGRESS[m.progress]}`);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: head } },
    { type: 'section', text: { type: 'mrkdwn', text: lines.length ? lines.join('\n') : `_No members yet:_ \`/release bundle add BUN-${bundle.id} REL-12 REL-13\`` } },
  ];
  if (view.approval) {
    const short = view.approval.short.map((s) => `${releaseKey(s.releaseId)} needs ${s.missing} more`).join(', ');
    const given = view.approvers.length ? `Approved so far by ${view.approvers.map(mention).join(', ')}. ` : '';
    const asked = view.approval.askable.length ? `Approvers: ${view.approval.askable.map(mention).join(', ')}.` : 'Nobody may approve it: every approver owns a member.';
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `One approval covers every release, and must meet each one's own rule (revision ${bundle.revision}). ${given}${short ? `Still short: ${short}. ` : ''}${asked}` }] });
  }
  if (bundle.rolloutNote) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: renderMarks(escapeText(bundle.rolloutNote)) }] });
  const buttons = controls(view);
  if (buttons.length) blocks.push({ type: 'actions', block_id: `bundle_${bundle.id}`, elements: buttons });
  return { text: `BUN-${bundle.id} “${escapeText(bundle.name)}”: ${(STATES[bundle.state] ?? bundle.state).replace(/^:[a-z_]+: /, '')}`, blocks };
}

/** The answers to a bundle's controls, the same from a button and from a command. */
export const bundleAnswers = {
  approved: (view: { bundle: { id: number }; approval: { approved: boolean; short: { releaseId: number; missing: number }[] } }) =>
    view.approval.approved
      ? `:white_check_mark: BUN-${view.bundle.id} is approved: every member's rule is met, and its releases are authorised.`
      : `:hourglass: Approval recorded on BUN-${view.bundle.id}; still short: ${view.approval.short.map((s) => `${releaseKey(s.releaseId)} needs ${s.missing} more`).join(', ')}.`,
  started: (id: number) => `:arrow_forward: BUN-${id} is starting: its releases roll out one after another, in order.`,
  retried: (id: number) => `:repeat: Retrying the failed release of BUN-${id}; the bundle goes on when it succeeds.`,
  continued: (id: number) => `:fast_forward: BUN-${id} goes on with the next release; the failed one stays failed where it stopped (not rolled back).`,
  rollingBack: (id: number) => `:rewind: Rolling back BUN-${id}: every release that started, the last started first.`,
};
