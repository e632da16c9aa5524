import { reviewStatusText } from './review.ts';
import type { KnownBlock, Button } from '@slack/types';
import type { ReleaseDetail } from '../../core/usecases/queries.ts';
import { releaseKey } from '../../core/release.ts';
import { ACTIONS } from './ids.ts';
import { clip, escapeText, mention, renderMarks, slackTime, stateLabel } from './format.ts';
import { syncsWith } from '../../core/effects/index.ts';
import { coordinationLines, riskText } from './control.ts';

export interface RenderedMessage {
  text: string;
  blocks: KnownBlock[];
}

function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  return { type: 'button', text: { type: 'plain_text', text }, action_id: actionId, value, ...(style ? { style } : {}) };
}

function confirmed(button: Button, title: string, text: string): Button {
  return { ...button, confirm: { title: { type: 'plain_text', text: title }, text: { type: 'mrkdwn', text }, confirm: { type: 'plain_text', text: 'Yes' }, deny: { type: 'plain_text', text: 'No' } } };
}

function lastFailed(detail: ReleaseDetail): boolean {
  const current = detail.steps.filter((s) => s.kind === (detail.release.rolloutDirection === 'forward' ? 'deploy' : 'rollback') && s.state !== 'cancelled');
  return current[current.length - 1]?.state === 'failed';
}

function cardActions(detail: ReleaseDetail): Button[] {
  const id = String(detail.release.id);
  const rollback = button('Roll back…', ACTIONS.rollback, id, 'danger');
  switch (detail.release.state) {
    case 'scheduled':
      return [confirmed(button('Start now', ACTIONS.start, id, 'primary'), 'Start the rollout now?', 'The first wave starts now (if a change window is open) instead of at the planned time.'), button('Edit plan', ACTIONS.edit, id), button('Cancel', ACTIONS.cancel, id, 'danger')];
    case 'in_progress':
      return [button('Pause', ACTIONS.pause, id), rollback, button('Abort…', ACTIONS.abort, id)];
    case 'paused':
      return lastFailed(detail)
        ? [button('Retry wave', ACTIONS.retry, id, 'primary'), button('Continue', ACTIONS.continue, id), rollback]
        : [button('Resume', ACTIONS.resume, id, 'primary'), rollback, button('Abort…', ACTIONS.abort, id)];
    case 'failed':
    case 'completed':
      return [rollback];
    case 'draft':
      return [button('Submit for approval', ACTIONS.submit, id, 'primary'), button('Edit plan', ACTIONS.edit, id), button('Cancel', ACTIONS.cancel, id, 'danger')];
    case 'submitted':
    case 'approved':
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

const STEP_ICONS: Record<string, string> = {
  pending: ':white_square:',
  running: ':arrow_forward:',
  verifying: ':mag:',
  baking: ':hourglass:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
  cancelled: ':heavy_minus_sign:',
};

/** A note we wrote (it may mention users by id) around text a user wrote: escape, then restore mentions. */
export function noteText(note: string): string {
  return renderMarks(clip(note, 500));
}

/** Each wave's state, live: what runs where, what waits for what. */
export function renderWaves(detail: ReleaseDetail): string | undefined {
  const r = detail.release;
  if (!['scheduled', 'in_progress', 'paused', 'completed', 'failed', 'rolled_back'].includes(r.state) || detail.waves.length === 0) return undefined;
  const lines = detail.waves.map((wave, index) => {
    const step = [...detail.steps].reverse().find((s) => s.kind === 'deploy' && s.waveIndex === index);
    const back = [...detail.steps].reverse().find((s) => s.kind === 'rollback' && s.waveIndex === index);
    const state = step?.state ?? 'pending';
    let when = '';
    if (step?.state === 'baking' && step.bakeUntil) when = ` · baking until ${slackTime(step.bakeUntil)}`;
    else if (step?.state === 'succeeded' && step.finishedAt) when = ` · done ${slackTime(step.finishedAt)}`;
    else if (step?.state === 'running' && step.startedAt) when = ` · started ${slackTime(step.startedAt)}`;
    else if (step?.state === 'failed' && step.error) when = ` · ${clip(step.error, 120)}`;
    const rolled = back ? ` · rollback ${STEP_ICONS[back.state] ?? back.state}` : '';
    return `${STEP_ICONS[state] ?? state} *${escapeText(wave.name)}* ${wave.targets.map(escapeText).join(', ')}${step && step.try > 1 ? ` (try ${step.try})` : ''}${when}${rolled}`;
  });
  const head = r.rolloutDirection === 'rollback' ? '*Rollback*' : '*Rollout*';
  return [head, ...lines, r.rolloutNote ? `_${noteText(r.rolloutNote)}_` : '', r.bypassedFreeze ? ':warning: went ahead in a freeze or outside the windows (emergency)' : ''].filter(Boolean).join('\n');
}

/** A contact as Slack shows it: a channel link or a mention. */
export function contactRef(id: string): string {
  return /^[CG]/.test(id) ? `<#${id}>` : mention(id);
}

/** Whether training is needed, and where its material is. */
export function trainingText(r: { trainingNeeded: boolean; trainingLinks: string[] }): string {
  if (!r.trainingNeeded) return 'no';
  return r.trainingLinks.length ? `yes: ${r.trainingLinks.map((l) => clip(l, 200)).join(', ')}` : 'yes (no material linked yet)';
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
        { type: 'mrkdwn', text: `*Risk*\n${riskText(r)}` },
        { type: 'mrkdwn', text: `*Planned start*\n${r.plannedStart ? slackTime(r.plannedStart) : 'not set'}` },
        { type: 'mrkdwn', text: `*Deployment*\n${escapeText(r.deploymentModel)}` },
        { type: 'mrkdwn', text: `*Approvals*\n${approvalLine}` },
        { type: 'mrkdwn', text: `*Training needed*\n${trainingText(r)}` },
      ],
    },
  ];
  if (r.description) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(r.description, 1500) } });
  blocks.push({
    type: 'section',
    text: { type: 'mrkdwn', text: `*Rollback plan*\n${r.rollbackPlan ? clip(r.rollbackPlan, 800) : '_none yet_'}\n*Test evidence*\n${r.testEvidence ? clip(r.testEvidence, 800) : '_none yet_'}${r.impact ? `\n*Impact on users*\n${clip(r.impact, 600)}` : ''}${r.contact ? `\n*Contact during early life support*\n${contactRef(r.contact)}` : ''}` },
  });
  const coordination = coordinationLines(detail);
  if (coordination.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: coordination.join('\n') } });
  const rollout = renderWaves(detail);
  if (rollout) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: rollout } });
  const actions = cardActions(detail);
  if (actions.length > 0) blocks.push({ type: 'actions', block_id: `card_${r.id}`, elements: actions });
  // Jira and GitHub refusals that retrying will not fix, so the team sees them without asking.
  const sync = detail.syncProblems.filter((p) => syncsWith(p.kind));
  if (sync.length > 0) {
    const lines = sync.slice(-3).map((p) => `:warning: ${escapeText(p.kind.replace(/_/g, ' '))} failed: ${clip(p.error, 200)}`);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${lines.join('\n')}${sync.length > 3 ? `\n…and ${sync.length - 3} more (\`/release show ${releaseKey(r.id)}\`)` : ''}` }] });
  }
  const review = reviewStatusText(detail.review, r.id);
  if (review) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: review }] });
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Planned by ${mention(r.requester)} · revision ${r.revision}${r.rescheduleCount ? ` · rescheduled ${r.rescheduleCount}×` : ''}${detail.rating.responses ? ` · rated ${(detail.rating.mean ?? 0).toFixed(1)} of 5 by ${detail.rating.responses}` : ''} · updated ${slackTime(r.updatedAt)}` }],
  });
  return { text: `${releaseKey(r.id)} ${r.service} ${r.version}: ${stateLabel(r.state)}`.replace(/[<>&]/g, ''), blocks };
}
