import type { KnownBlock } from '@slack/types';
import type { ReleaseDetail } from '../../core/usecases/queries.ts';
import { releaseKey } from '../../core/release.ts';
import { ACTIONS, decisionValue } from './ids.ts';
import { approverRef, clip, escapeText, mention, slackTime } from './format.ts';
import { releaseHeadline, type RenderedMessage } from './card.ts';
import { coordinationLines, riskText } from './control.ts';

function summary(detail: ReleaseDetail, revision: number): string {
  const r = detail.release;
  const rule = detail.rule;
  const from = rule ? rule.from.map(approverRef).join(', ') : 'nobody';
  return [
    `*Approval requested* for *${releaseHeadline(detail)}* (revision ${revision})`,
    `${r.type} · risk ${riskText(r)} · ${r.plannedStart ? `starts ${slackTime(r.plannedStart)}` : 'start not set'} · planned by ${mention(r.requester)}`,
    `Needs ${rule?.required ?? 0} approval${rule?.required === 1 ? '' : 's'} from ${from}.`,
    r.rollbackPlan ? `*Rollback:* ${clip(r.rollbackPlan, 300)}` : '',
    ...coordinationLines(detail, 3),
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * Approve (with a confirm dialog against mis-taps on phones) and Reject… (asks for a reason) for one
 * revision: the same buttons, action ids and values wherever a request is shown (its message, App Home).
 */
export function decisionButtons(release: { id: number; revision: number }, blockId = `decide_${release.id}_${release.revision}`): KnownBlock {
  const value = decisionValue(release.id, release.revision);
  return {
    type: 'actions',
    block_id: blockId,
    elements: [
      {
        type: 'button',
        action_id: ACTIONS.approve,
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
        value,
        confirm: {
          title: { type: 'plain_text', text: `Approve ${releaseKey(release.id)}?` },
          text: { type: 'mrkdwn', text: `You authorise ${releaseKey(release.id)} (revision ${release.revision}) to go live as planned.` },
          confirm: { type: 'plain_text', text: 'Approve' },
          deny: { type: 'plain_text', text: 'Not yet' },
        },
      },
      { type: 'button', action_id: ACTIONS.reject, style: 'danger', text: { type: 'plain_text', text: 'Reject…' }, value },
    ],
  };
}

/** The approval request: Approve asks for confirmation (mis-taps on phones), Reject asks for a reason. */
export function renderApprovalRequest(detail: ReleaseDetail): RenderedMessage {
  const r = detail.release;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: summary(detail, r.revision) } }, decisionButtons(r)];
  return { text: `Approval requested for ${releaseKey(r.id)} ${r.service} ${r.version}`.replace(/[<>&]/g, ''), blocks };
}

const OUTCOMES: Record<string, string> = {
  approved: ':white_check_mark: Approved',
  rejected: ':no_entry: Rejected',
  superseded: ':arrows_counterclockwise: Superseded: the plan changed, see the new request',
  cancelled: ':wastebasket: Cancelled',
};

/** The same request once decided: the buttons go, the outcome and the deciders stay. */
export function renderClosedApprovalRequest(detail: ReleaseDetail, revision: number, outcome: string): RenderedMessage {
  const decided = detail.decisions.filter((d) => d.revision === revision);
  const who = decided.map((d) => `${mention(d.approver)} ${d.decision === 'approve' ? 'approved' : 'rejected'}${d.comment ? `: "${clip(d.comment, 200)}"` : ''}`).join('\n');
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: summary(detail, revision) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `${OUTCOMES[outcome] ?? outcome}${who ? `\n${who}` : ''}` }] },
  ];
  return { text: `${releaseKey(detail.release.id)}: ${outcome}`, blocks };
}

/** The reminder under an approval request: only the approvers who have not decided are named. */
export function renderApprovalReminder(detail: ReleaseDetail, undecided: string[]): string {
  const shown = undecided.slice(0, 20).map(mention).join(', ');
  const more = undecided.length > 20 ? ` and ${undecided.length - 20} more` : '';
  return `:bell: ${shown}${more}: *${releaseKey(detail.release.id)}* is waiting for your decision (${detail.approval.valid.length} of ${detail.approval.required} so far).`;
}

/** The DM to a release manager about a request that has waited past escalate_after. */
export function renderEscalation(detail: ReleaseDetail, link: string | undefined): string {
  const r = detail.release;
  const since = r.submittedAt ? ` since ${slackTime(r.submittedAt)}` : '';
  return `:rotating_light: *${releaseKey(r.id)}* (${escapeText(r.service)} ${escapeText(r.version)}: ${clip(r.title, 120)}) has waited for approval${since}: ${detail.approval.valid.length} of ${detail.approval.required}.${link ? ` <${link}|The request>` : ''}`;
}

/** The one warning that a release's approvals lapse before it starts, naming whoever can act on it. */
export function renderExpiryWarning(detail: ReleaseDetail, until: Date): string {
  const r = detail.release;
  const approvers = detail.approval.valid.map((d) => `<@${d.approver}>`).join(', ');
  const start = r.plannedStart ? `, before its planned start ${slackTime(r.plannedStart)}` : '';
  return `:hourglass: <@${r.requester}> the approvals of *${releaseKey(r.id)}* expire ${slackTime(until)}${start}. Start it before then, or ask ${approvers || 'its approvers'} to approve it again, or it will not roll out.`;
}
