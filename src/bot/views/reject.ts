import type { App, ViewSubmitAction } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { REJECT_FIELDS, VALUE, VIEWS } from '../blocks/ids.ts';
import { rejectRelease } from '../../core/usecases/decide.ts';
import { DomainError } from '../../core/errors.ts';
import { replyEphemeral, replyTargetOf } from '../reply.ts';
import { readViewContext } from './view-context.ts';
import { answers } from '../blocks/replies.ts';
import { answerInHome } from '../events/home.ts';

export function registerRejectView(app: App, deps: BotDeps): void {
  app.view<ViewSubmitAction>(VIEWS.reject, async ({ ack, view, body }) => {
    const reason = view.state.values[REJECT_FIELDS.reason]?.[VALUE]?.value?.trim() ?? '';
    if (!reason) {
      await ack({ response_action: 'errors', errors: { [REJECT_FIELDS.reason]: 'Say why, so the team can fix it.' } });
      return;
    }
    await ack();
    const meta = readViewContext(view.private_metadata);
    if (meta.releaseId === undefined) throw new DomainError('invalid_input', 'That form lost track of its release; reject with `/release reject REL-n <reason>`.');
    await rejectRelease(deps.ctx, body.user.id, meta.releaseId, reason, meta.revision);
    if (meta.home) return answerInHome(deps, body.user.id, answers.rejected(meta.releaseId));
    await replyEphemeral(deps.slack, replyTargetOf(body as unknown as Record<string, unknown>), answers.rejected(meta.releaseId));
  });
}
