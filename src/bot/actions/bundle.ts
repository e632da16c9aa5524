import type { App, BlockButtonAction, ViewSubmitAction } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { BUNDLE_ACTIONS, VIEWS } from '../blocks/ids.ts';
import { takeReason } from '../views/reason.ts';
import { bundleRollbackModal } from '../blocks/modals.ts';
import { approveBundle } from '../../core/usecases/bundles.ts';
import { continueBundle, retryBundle, rollbackBundle, startBundle } from '../../core/usecases/bundle-rollout.ts';
import { DomainError } from '../../core/errors.ts';
import { replyEphemeral, replyTargetOf } from '../reply.ts';
import { readViewContext } from '../views/view-context.ts';
import { buttonId } from './values.ts';
import { bundleAnswers } from '../blocks/bundle-card.ts';

/** The bundle card's buttons: the same use cases as `/release bundle …`, answered to the presser alone. */
export function registerBundleButtons(app: App, deps: BotDeps): void {
  app.action<BlockButtonAction>(BUNDLE_ACTIONS.approve, async ({ action, body, respond }) => {
    const view = await approveBundle(deps.ctx, body.user.id, buttonId(action.value));
    await respond({ response_type: 'ephemeral', replace_original: false, text: bundleAnswers.approved(view) });
  });
  for (const [actionId, useCase, answer] of [
    [BUNDLE_ACTIONS.start, startBundle, bundleAnswers.started],
    [BUNDLE_ACTIONS.retry, retryBundle, bundleAnswers.retried],
    [BUNDLE_ACTIONS.continue, continueBundle, bundleAnswers.continued],
  ] as const) {
    app.action<BlockButtonAction>(actionId, async ({ action, body, respond }) => {
      const bundle = await useCase(deps.ctx, body.user.id, buttonId(action.value));
      await respond({ response_type: 'ephemeral', replace_original: false, text: answer(bundle.id) });
    });
  }
  app.action<BlockButtonAction>(BUNDLE_ACTIONS.rollback, async ({ action, body }) => {
    await deps.slack.client.views.open({ trigger_id: body.trigger_id, view: bundleRollbackModal(buttonId(action.value), { channel: body.channel?.id }) });
  });
  app.view<ViewSubmitAction>(VIEWS.bundleRollback, async ({ ack, view, body }) => {
    const reason = await takeReason(view, ack);
    if (reason === null) return;
    const meta = readViewContext(view.private_metadata);
    if (meta.bundleId === undefined) throw new DomainError('invalid_input', 'That form lost track of its bundle; use `/release bundle rollback BUN-n <reason>` instead.');
    const bundle = await rollbackBundle(deps.ctx, body.user.id, meta.bundleId, reason);
    await replyEphemeral(deps.slack, replyTargetOf(body as unknown as Record<string, unknown>), bundleAnswers.rollingBack(bundle.id));
  });
}
