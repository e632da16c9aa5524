import type { App, BlockButtonAction } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { ACTIONS, VIEWS } from '../blocks/ids.ts';
import { reasonModal } from '../blocks/modals.ts';
import { tickChecklist, reportManualStep } from '../../core/usecases/rollout/steps.ts';
import { continueRollout, pauseRollout, resumeRollout, retryWave, startRollout } from '../../core/usecases/rollout/control.ts';
import { answers } from '../blocks/replies.ts';
import { whoMark } from '../../core/text.ts';
import { buttonId, buttonIds } from './values.ts';

const CONTROLS = [
  [ACTIONS.start, startRollout, answers.started],
  [ACTIONS.pause, pauseRollout, answers.paused],
  [ACTIONS.resume, resumeRollout, answers.resumed],
  [ACTIONS.retry, retryWave, answers.retried],
  [ACTIONS.continue, continueRollout, answers.continued],
] as const;

/** Rollout buttons: the card's controls, and the manual deployer's checklist. */
export function registerRolloutButtons(app: App, deps: BotDeps): void {
  for (const [actionId, useCase, answer] of CONTROLS) {
    app.action<BlockButtonAction>(actionId, async ({ action, body, respond }) => {
      const id = buttonId(action.value);
      await useCase(deps.ctx, body.user.id, id);
      await respond({ response_type: 'ephemeral', replace_original: false, text: answer(id) });
    });
  }
  for (const [actionId, view] of [
    [ACTIONS.rollback, VIEWS.rollback],
    [ACTIONS.abort, VIEWS.abort],
  ] as const) {
    app.action<BlockButtonAction>(actionId, async ({ action, body }) => {
      await deps.slack.client.views.open({ trigger_id: body.trigger_id, view: reasonModal(view, buttonId(action.value), { channel: body.channel?.id }) });
    });
  }
  app.action<BlockButtonAction>(ACTIONS.tick, async ({ action, body }) => {
    const [stepId, item] = buttonIds(action.value, 2);
    await tickChecklist(deps.ctx, body.user.id, stepId!, item!);
  });
  app.action<BlockButtonAction>(ACTIONS.stepDone, async ({ action, body, respond }) => {
    const step = await reportManualStep(deps.ctx, body.user.id, buttonId(action.value), 'succeeded', null);
    await respond({ response_type: 'ephemeral', replace_original: false, text: answers.waveDone(step) });
  });
  app.action<BlockButtonAction>(ACTIONS.stepFailed, async ({ action, body, respond }) => {
    const step = await reportManualStep(deps.ctx, body.user.id, buttonId(action.value), 'failed', `reported failed by ${whoMark(body.user.id)}`);
    await respond({ response_type: 'ephemeral', replace_original: false, text: answers.waveFailed(step) });
  });
}
