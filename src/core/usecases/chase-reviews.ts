import type { CoreContext } from '../context.ts';
import type { OutboxMessage } from '../effect.ts';
import { policyOf } from '../settings.ts';
import { REVIEW_REMINDER_ROUNDS, reviewReminderRound, reviewRequired } from '../review.ts';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';
import { unreviewedSince } from '../../store/repositories/reviews.ts';
import type { StoredRelease } from '../release.ts';
import { DEFAULT_REVIEW_AFTER_MS } from './review.ts';

const PAGE = 500;

/** The reminder due now for one release's required review, keyed by the release and the round so each is sent once. */
export function reviewChaseDue(release: StoredRelease, required: boolean, reviewAfterMs: number, now: Date): OutboxMessage | undefined {
  if (!required || !release.finishedAt) return undefined;
  const round = reviewReminderRound(release.finishedAt, reviewAfterMs, now);
  if (!round) return undefined;
  return { kind: 'review_reminder', releaseId: release.id, dedupeKey: `review:remind:${release.id}:${round}`, payload: { releaseId: release.id, round } };
}

/**
 * Reminds the owner and the release managers of the required reviews not yet written (run by the
 * minute sweep): at `review_after` after the rollout finished, then at twice, three and four times it,
 * never more. A written review stops it: the effect finds the review and sends nothing.
 */
export async function chaseReviews(ctx: CoreContext): Promise<number> {
  const now = ctx.clock();
  const longest = Math.max(DEFAULT_REVIEW_AFTER_MS, ...Object.values(ctx.settings.deploymentModels).map((m) => m.reviewAfterMs ?? DEFAULT_REVIEW_AFTER_MS));
  // Past the last round nothing more is sent: releases finished longer ago are not looked at.
  const since = new Date(now.getTime() - longest * (REVIEW_REMINDER_ROUNDS + 1));
  const messages: OutboxMessage[] = [];
  // Page by page, so however many releases finished in the window, every one is looked at.
  for (let afterId = 0, page: StoredRelease[]; (page = await unreviewedSince(ctx.db, since, { afterId, limit: PAGE })).length > 0; afterId = page[page.length - 1]!.id) {
    for (const release of page) {
      try {
        const model = Object.hasOwn(ctx.settings.deploymentModels, release.deploymentModel) ? ctx.settings.deploymentModels[release.deploymentModel]! : undefined;
        const due = reviewChaseDue(release, reviewRequired(release, policyOf(ctx.settings, release.service)), model?.reviewAfterMs ?? DEFAULT_REVIEW_AFTER_MS, now);
        // The first round comes as the review turns overdue: the card says so from then on.
        if (due) messages.push(due, { kind: 'card', releaseId: release.id, dedupeKey: `card:${release.id}:review:${due.payload.round}`, payload: { releaseId: release.id } });
      } catch {
        // a service no longer in relm.yml
      }
    }
    if (page.length < PAGE) break;
  }
  const ids = await enqueueOutbox(ctx.db, messages, now);
  await ctx.effects.dispatch(ids);
  return ids.length;
}
