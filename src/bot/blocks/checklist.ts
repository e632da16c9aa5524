import type { KnownBlock } from '@slack/types';

import { releaseKey, type StoredRelease } from '../../core/release.ts';
import { ACTIONS } from './ids.ts';
import { clip, escapeText, mention, slackTime } from './format.ts';
import type { RenderedMessage } from './card.ts';
import type { RolloutStep } from '../../core/rollout.ts';

export function tickValue(stepId: number, item: number): string {
  return `${stepId}:${item}`;
}

/** A manual step's checklist: one Tick button per item, then Done and Failed; ticks show who and when. */
export function renderChecklist(release: StoredRelease, step: RolloutStep, ticks: { item: number; actor: string; at: Date }[]): RenderedMessage {
  const open = step.state === 'running';
  const what = step.kind === 'deploy' ? 'Deploy' : 'Roll back';
  const head = `*${what} wave ${escapeText(step.waveName)}* of ${releaseKey(release.id)} (${escapeText(release.service)} ${escapeText(release.version)}) to ${step.targets.map(escapeText).join(', ')}${step.try > 1 ? ` · try ${step.try}` : ''}`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: head } }];
  step.checklist.forEach((item, i) => {
    const tick = ticks.find((t) => t.item === i);
    blocks.push({
      type: 'section',
      block_id: `item_${step.id}_${i}`,
      text: { type: 'mrkdwn', text: tick ? `:ballot_box_with_check: ~${clip(item, 300)}~  ${mention(tick.actor)} ${slackTime(tick.at)}` : `:white_square: ${clip(item, 300)}` },
      ...(!tick && open ? { accessory: { type: 'button', action_id: ACTIONS.tick, text: { type: 'plain_text', text: 'Tick' }, value: tickValue(step.id, i) } } : {}),
    });
  });
  if (open) {
    blocks.push({
      type: 'actions',
      block_id: `step_${step.id}`,
      elements: [
        {
          type: 'button',
          action_id: ACTIONS.stepDone,
          style: 'primary',
          text: { type: 'plain_text', text: 'Done' },
          value: String(step.id),
          confirm: { title: { type: 'plain_text', text: step.kind === 'rollback' ? 'Rollback done?' : 'Wave done?' }, text: { type: 'mrkdwn', text: `Every item is done and ${step.targets.map(escapeText).join(', ')} run ${step.kind === 'rollback' ? 'the previous version again' : 'the new version'}.` }, confirm: { type: 'plain_text', text: 'Done' }, deny: { type: 'plain_text', text: 'Not yet' } },
        },
        {
          type: 'button',
          action_id: ACTIONS.stepFailed,
          style: 'danger',
          text: { type: 'plain_text', text: 'Failed' },
          value: String(step.id),
          confirm: { title: { type: 'plain_text', text: 'Wave failed?' }, text: { type: 'mrkdwn', text: 'The rollout pauses and asks whether to retry, continue or roll back.' }, confirm: { type: 'plain_text', text: 'It failed' }, deny: { type: 'plain_text', text: 'Back' } },
        },
      ],
    });
  } else {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${step.state}${step.reportedBy ? ` · reported by ${mention(step.reportedBy)}` : ''}${step.error ? ` · ${clip(step.error, 200)}` : ''}` }] });
  }
  return { text: `${what} wave ${step.waveName} of ${releaseKey(release.id)}`.replace(/[<>&]/g, ''), blocks };
}
