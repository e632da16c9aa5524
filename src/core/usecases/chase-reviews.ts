import type { CoreContext } from '../context.ts';
import type { OutboxMessage } from '../effect.ts';
import { policyOf } from '../settings.ts';
import { reviewReminderAt, reviewReminderRound, reviewRequired } from '../review.ts';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';
import { reviewChasesDue, setReviewChases } from '../../store/repositories/reviews.ts';
import type { StoredRelease } from '../release.ts';
import { DEFAULT_REVIEW_AFTER_MS } from './review.ts';

const PAGE = 500;
const MAX_PAGES = 20;
const DAY_MS = 86_400_000;

/** The reminder due now for one release's required review, keyed by the release and the round so each is sent once. */
export function reviewChaseDue(release: StoredRelease, required: boolean, reviewAfterMs: number, now: Date): OutboxMessage | undefined {
  if (!required || !release.finishedAt) return undefined;
  const round = reviewReminderRound(release.finishedAt, reviewAfterMs, now);
  if (!round) return undefined;
  return { kind: 'review_reminder', releaseId: release.id, dedupeKey: `review:remind:${release.id}:${round}`, payload: { releaseId: release.id, round } };
}

/**
 * When the sweep is to look at a release next: the time of the round after the one due now, or null
 * when no reminder will be (no review required, or written).
 */
export function nextReviewChase(release: Pick<StoredRelease, 'finishedAt'>, required: boolean, reviewAfterMs: number, now: Date): Date | null {
  if (!required || !release.finishedAt || reviewAfterMs <= 0) return null;
  const round = reviewReminderRound(release.finishedAt, reviewAfterMs, now) ?? 0;
  return reviewReminderAt(release.finishedAt, reviewAfterMs, round + 1);
}

/**
 * Reminds the owner and the release managers of the required reviews not yet written (run by the
 * minute sweep): at `review_after` after the rollout finished, then at twice, three and four times it,
 * then weekly until the review is written (see REVIEW_REMINDER_FIRST_ROUNDS). Only the releases whose
 * next look is due are read (`review_chase_at`), and each is moved on to its next round in the same
 * transaction as its reminder, so a crash repeats a page rather than losing a round; the round's key
 * makes a repeat send nothing twice. A written review stops it: the sweep clears it, and the effect
 * finds the review and sends nothing.
 */
export async function chaseReviews(ctx: CoreContext): Promise<number> {
  const now = ctx.clock();
  let queued = 0;
  // Bounded, so a sweep always ends: what is left is the next minute's.
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await reviewChasesDue(ctx.db, now, PAGE);
    if (page.length === 0) break;
    const messages: OutboxMessage[] = [];
    const next: { releaseId: number; seen: Date; at: Date | null }[] = [];
    for (const release of page) {
      const model = Object.hasOwn(ctx.settings.deploymentModels, release.deploymentModel) ? ctx.settings.deploymentModels[release.deploymentModel]! : undefined;
      const reviewAfterMs = model?.reviewAfterMs ?? DEFAULT_REVIEW_AFTER_MS;
      let policy;
      try {
        policy = policyOf(ctx.settings, release.service);
      } catch {
        // A service not in relm.yml (now): nobody to remind by its rules, but it may come back.
        next.push({ releaseId: release.id, seen: release.reviewChaseAt, at: release.reviewed ? null : new Date(now.getTime() + DAY_MS) });
        continue;
      }
      const required = !release.reviewed && reviewRequired(release, policy);
      const due = reviewChaseDue(release, required, reviewAfterMs, now);
      // The first round comes as the review turns overdue: the card says so from then on.
      if (due) messages.push(due, { kind: 'card', releaseId: release.id, dedupeKey: `card:${release.id}:review:${due.payload.round}`, payload: { releaseId: release.id } });
      next.push({ releaseId: release.id, seen: release.reviewChaseAt, at: nextReviewChase(release, required, reviewAfterMs, now) });
    }
    const ids = await ctx.db.transaction().execute(async (trx) => {
      const written = await enqueueOutbox(trx, messages, now);
      await setReviewChases(trx, next);
      return written;
    });
    await ctx.effects.dispatch(ids);
    queued += ids.length;
    if (page.length < PAGE) break;
  }
  return queued;
}
