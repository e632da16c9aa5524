import type { App, BlockButtonAction } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { ACTIONS } from '../blocks/ids.ts';
import { submitRelease } from '../../core/usecases/submit.ts';
import { cancelRelease } from '../../core/usecases/cancel.ts';
import { answers } from '../blocks/replies.ts';
import { buttonId } from './values.ts';

/** The card's own buttons: submit and cancel (edit opens a modal, see edit.ts). */
export function registerLifecycleButtons(app: App, deps: BotDeps): void {
  app.action<BlockButtonAction>(ACTIONS.submit, async ({ action, body, respond }) => {
    const release = await submitRelease(deps.ctx, body.user.id, buttonId(action.value));
    await respond({ response_type: 'ephemeral', replace_original: false, text: answers.submitted(release) });
  });
  app.action<BlockButtonAction>(ACTIONS.cancel, async ({ action, body, respond }) => {
    const release = await cancelRelease(deps.ctx, body.user.id, buttonId(action.value), '');
    await respond({ response_type: 'ephemeral', replace_original: false, text: answers.cancelled(release.id) });
  });
}
