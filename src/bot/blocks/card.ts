import type { KnownBlock, Button } from '@slack/types';
import type { ReleaseDetail } from '../../core/usecases/queries.ts';
import { releaseKey } from '../../core/release.ts';
import { ACTIONS } from './ids.ts';
import { clip, escapeText, mention, slackTime, stateLabel } from './format.ts';

export interface RenderedMessage {
  text: string;
  blocks: KnownBlock[];
}

function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  return { type: 'button', text: { type: 'plain_text', text }, action_id: actionId, value, ...(style ? { style } : {}) };
}

function cardActions(detail: ReleaseDetail): Button[] {
  const id = String(detail.release.id);
  switch (detail.release.state) {
    case 'draft':
      return [button('Submit for approval', ACTIONS.submit, id, 'primary'), button('Edit plan', ACTIONS.edit, id), button('Cancel', ACTIONS.cancel, id, 'danger')];
    case 'submitted':
    case 'approved':
    case 'scheduled':
      return [button('Edit plan', ACTIONS.edit, id), button('Cancel', ACTIONS.cancel, id, 'danger')];
    case 'rejected':
      return [button('Revise plan', ACTIONS.edit, id, 'primary'), button('Cancel', ACTIONS.cancel, id, 'danger')];
    default:
      return [];
  }
}

export function releaseHeadline(detail: ReleaseDetail): string {
  const r = detail.release;
  return `${releaseKey(r.id)} · ${escapeText(r.service)} ${escapeText(r.version)}: ${clip(r.title, 150)}`;
}

/** The release card: one message per release, updated in place on every change. */
export function renderCard(detail: ReleaseDetail): RenderedMessage {
  const r = detail.release;
  const { approval } = detail;
  const approvers = approval.valid.map((d) => mention(d.approver)).join(', ');
  const approvalLine =
    approval.required === 0
      ? 'No approval rule for this type'
      : `${approval.valid.length} of ${approval.required}${approvers ? `: ${approvers}` : ''}${approval.validUntil ? ` · valid until ${slackTime(approval.validUntil)}` : ''}${approval.expired.length ? ` · ${approval.expired.length} expired` : ''}`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${releaseHeadline(detail)}*\n${stateLabel(r.state)}` } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Type*\n${r.type}` },
        { type: 'mrkdwn', text: `*Risk*\n${r.risk}` },
        { type: 'mrkdwn', text: `*Planned start*\n${r.plannedStart ? slackTime(r.plannedStart) : 'not set'}` },
        { type: 'mrkdwn', text: `*Deployment*\n${escapeText(r.deploymentModel)}` },
        { type: 'mrkdwn', text: `*Approvals*\n${approvalLine}` },
        { type: 'mrkdwn', text: `*Training needed*\n${r.trainingNeeded ? 'yes' : 'no'}` },
      ],
    },
  ];
  if (r.description) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(r.description, 1500) } });
  blocks.push({
    type: 'section',
    text: { type: 'mrkdwn', text: `*Rollback plan*\n${r.rollbackPlan ? clip(r.rollbackPlan, 800) : '_none yet_'}\n*Test evidence*\n${r.testEvidence ? clip(r.testEvidence, 800) : '_none yet_'}` },
  });
  const actions = cardActions(detail);
  if (actions.length > 0) blocks.push({ type: 'actions', block_id: `card_${r.id}`, elements: actions });
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Planned by ${mention(r.requester)} · revision ${r.revision}${r.rescheduleCount ? ` · rescheduled ${r.rescheduleCount}×` : ''} · updated ${slackTime(r.updatedAt)}` }],
  });
  return { text: `${releaseKey(r.id)} ${r.service} ${r.version}: ${stateLabel(r.state)}`.replace(/[<>&]/g, ''), blocks };
}
