import type { App, BlockButtonAction } from '@slack/bolt';
import { z } from 'zod';
import type { BotDeps } from '../deps.ts';
import { ACTIONS } from '../blocks/ids.ts';
import { DomainError } from '../../core/errors.ts';
import { myRating, rateRelease } from '../../core/usecases/rate.ts';
import { answers } from '../blocks/replies.ts';
import { ratingCommentModal } from '../blocks/modals.ts';
import { buttonId } from './values.ts';

const RatingValue = z.string().regex(/^\d{1,9}:[1-5]$/).transform((v) => v.split(':').map(Number) as [number, number]);

/** The audience's 1–5 buttons under a completed release, and "Add a comment…" that opens the rating form. */
export function registerRating(app: App, deps: BotDeps): void {
  app.action<BlockButtonAction>(new RegExp(`^${ACTIONS.rate}_[1-5]$`), async ({ action, body, respond }) => {
    const parsed = RatingValue.safeParse(action.value);
    if (!parsed.success) throw new DomainError('invalid_input', 'That rating button is from an older version of relm.');
    const [releaseId, score] = parsed.data;
    const { changed } = await rateRelease(deps.ctx, body.user.id, releaseId, score);
    await respond({ response_type: 'ephemeral', replace_original: false, text: answers.rated(releaseId, score, changed) });
  });

  app.action<BlockButtonAction>(ACTIONS.rateComment, async ({ action, body }) => {
    const releaseId = buttonId(action.value);
    const current = await myRating(deps.ctx, body.user.id, releaseId);
    await deps.slack.client.views.open({ trigger_id: body.trigger_id, view: ratingCommentModal(releaseId, current, { channel: body.channel?.id }) });
  });
}
