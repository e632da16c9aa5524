import type { App, ViewSubmitAction } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { REVIEW_FIELDS, VALUE, VIEWS } from '../blocks/ids.ts';
import { submitReview } from '../../core/usecases/review.ts';
import { DomainError, isDomainError } from '../../core/errors.ts';
import { renderReviewSaved } from '../blocks/review.ts';
import { replyEphemeral, replyTargetOf } from '../reply.ts';
import { readViewContext } from './view-context.ts';

const FIELD_BLOCKS: Record<string, string> = { wentWell: REVIEW_FIELDS.wentWell, wentBadly: REVIEW_FIELDS.wentBadly, lessons: REVIEW_FIELDS.lessons, actions: REVIEW_FIELDS.actions };

/** The post-release review modal's submission: stored (or changed), audited, follow-ups to Jira. */
export function registerReviewView(app: App, deps: BotDeps): void {
  app.view<ViewSubmitAction>(VIEWS.review, async ({ ack, view, body, context }) => {
    const values = view.state.values;
    const text = (field: string) => values[field]?.[VALUE]?.value?.trim() ?? '';
    const input = {
      wentWell: text(REVIEW_FIELDS.wentWell),
      wentBadly: text(REVIEW_FIELDS.wentBadly),
      lessons: text(REVIEW_FIELDS.lessons),
      actions: text(REVIEW_FIELDS.actions),
      raiseInJira: (values[REVIEW_FIELDS.raiseInJira]?.[VALUE]?.selected_options ?? []).some((o) => o.value === 'yes'),
    };
    if (!input.wentWell && !input.wentBadly && !input.lessons && !input.actions) {
      await ack({ response_action: 'errors', errors: { [REVIEW_FIELDS.lessons]: 'Write at least one part of the review.' } });
      return;
    }
    const meta = readViewContext(view.private_metadata);
    if (meta.releaseId === undefined) {
      await ack();
      throw new DomainError('invalid_input', 'That form lost track of its release; open it again with `/release review REL-n`.');
    }
    let result;
    try {
      result = await submitReview(deps.ctx, body.user.id, meta.releaseId, input);
    } catch (error) {
      // A problem with what was typed stays in the modal, beside its field; anything else goes to the error sink.
      const block = isDomainError(error) && error.field ? FIELD_BLOCKS[error.field] : undefined;
      if (block) {
        await ack({ response_action: 'errors', errors: { [block]: (error as Error).message.replace(/[*`]/g, '').slice(0, 150) } });
        return;
      }
      await ack();
      throw error;
    }
    await ack();
    (context as { ackTimer?: () => void }).ackTimer?.();
    await replyEphemeral(deps.slack, replyTargetOf(body as unknown as Record<string, unknown>), renderReviewSaved(meta.releaseId, result));
  });
}
