import type { App, ViewSubmitAction } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { REJECT_FIELDS, VALUE, VIEWS } from '../blocks/ids.ts';
import { abortRollout, rollbackRollout } from '../../core/usecases/rollout/control.ts';
import { DomainError } from '../../core/errors.ts';
import { releaseKey } from '../../core/release.ts';
import { replyEphemeral, replyTargetOf } from '../reply.ts';
import { readViewContext } from './view-context.ts';

const HANDLERS = [
  [VIEWS.rollback, rollbackRollout, 'Rolling back'],
  [VIEWS.abort, abortRollout, 'Aborted the rollout of'],
] as const;

/** The reason typed in a reason modal; a blank one is refused in the modal, and null is returned. */
export async function takeReason(view: ViewSubmitAction['view'], ack: (response?: { response_action: 'errors'; errors: Record<string, string> }) => Promise<void>): Promise<string | null> {
  const reason = view.state.values[REJECT_FIELDS.reason]?.[VALUE]?.value?.trim() ?? '';
  if (!reason) {
    await ack({ response_action: 'errors', errors: { [REJECT_FIELDS.reason]: 'Say why, for the record.' } });
    return null;
  }
  await ack();
  return reason;
}

/** The reason modals of Roll back and Abort. */
export function registerReasonViews(app: App, deps: BotDeps): void {
  for (const [callbackId, useCase, done] of HANDLERS) {
    app.view<ViewSubmitAction>(callbackId, async ({ ack, view, body }) => {
      const reason = await takeReason(view, ack);
      if (reason === null) return;
      const meta = readViewContext(view.private_metadata);
      if (meta.releaseId === undefined) throw new DomainError('invalid_input', 'That form lost track of its release; use the text command instead.');
      await useCase(deps.ctx, body.user.id, meta.releaseId, reason);
      await replyEphemeral(deps.slack, replyTargetOf(body as unknown as Record<string, unknown>), `${done} *${releaseKey(meta.releaseId)}*.`);
    });
  }
}
