import type { App, ViewSubmitAction } from '@slack/bolt';
import { z } from 'zod';
import type { BotDeps } from '../deps.ts';
import { RATE_FIELDS, VALUE, VIEWS } from '../blocks/ids.ts';
import { DomainError } from '../../core/errors.ts';
import { RATING_COMMENT_MAX, rateRelease } from '../../core/usecases/rate.ts';
import { answers } from '../blocks/replies.ts';
import { replyEphemeral, replyTargetOf } from '../reply.ts';
import { readViewContext } from './view-context.ts';

/** What the rating form sends: a score from 1 to 5, and a comment of at most 1,000 characters (empty: none). */
const RatingForm = z.object({
  [RATE_FIELDS.score]: z.enum(['1', '2', '3', '4', '5'], { error: 'Pick how it went, from 1 to 5.' }).transform(Number),
  [RATE_FIELDS.comment]: z
    .string()
    .nullish()
    .transform((text) => text?.trim() || null)
    .refine((text) => text === null || text.length <= RATING_COMMENT_MAX, { error: `At most ${RATING_COMMENT_MAX} characters.` }),
});

/** The rating form's submission: stores (or changes) the person's score and comment. */
export function registerRatingCommentView(app: App, deps: BotDeps): void {
  app.view<ViewSubmitAction>(VIEWS.rateComment, async ({ ack, view, body }) => {
    const values = view.state.values;
    const parsed = RatingForm.safeParse({
      [RATE_FIELDS.score]: values[RATE_FIELDS.score]?.[VALUE]?.selected_option?.value,
      [RATE_FIELDS.comment]: values[RATE_FIELDS.comment]?.[VALUE]?.value,
    });
    if (!parsed.success) {
      await ack({ response_action: 'errors', errors: Object.fromEntries(parsed.error.issues.map((issue) => [String(issue.path[0]), issue.message])) });
      return;
    }
    await ack();
    const meta = readViewContext(view.private_metadata);
    if (meta.releaseId === undefined) throw new DomainError('invalid_input', 'That form lost track of its release; press "Add a comment…" again.');
    const { score, comment } = parsed.data;
    const { changed } = await rateRelease(deps.ctx, body.user.id, meta.releaseId, score, comment);
    await replyEphemeral(deps.slack, replyTargetOf(body as unknown as Record<string, unknown>), answers.ratedWithComment(meta.releaseId, score, comment, changed));
  });
}
