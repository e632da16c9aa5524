import { z } from 'zod';
import { findRelease } from '../../store/repositories/releases.ts';
import { findReview } from '../../store/repositories/reviews.ts';
import { findOutbox } from '../../store/repositories/outbox.ts';
import { releaseKey } from '../release.ts';
import { actionKey } from '../review.ts';
import { serviceOf } from '../settings.ts';
import { ChangeTrackerRejectedError } from '../ports/change-tracker.ts';
import { releaseDetail } from '../usecases/queries.ts';
import { reviewStatusOf } from '../usecases/review.ts';
import { EffectNotReadyError, PermanentEffectError } from './errors.ts';
import { effect } from './effect.ts';
import { releaseId } from './payloads.ts';

/** A DM to the owner and each release manager: the required review of a finished release is not written yet. */
export const reviewReminderEffect = effect({
  kinds: ['review_reminder'],
  payload: z.object({ releaseId, round: z.number().int().min(1) }),
  traits: {},
  async perform(ctx, { publisher }, _kind, { releaseId, round }, { key, retry }) {
    const release = await findRelease(ctx.db, releaseId);
    if (!release) return { skipped: 'the release is gone' };
    if (await findReview(ctx.db, releaseId)) return { skipped: 'the review is written' };
    const status = reviewStatusOf(ctx, release, undefined);
    if (status.status !== 'due' && status.status !== 'overdue') return { skipped: `no review is required (${status.status})` };
    const detail = await releaseDetail(ctx, releaseId, ctx.db, { history: false });
    const told: string[] = [];
    for (const user of [...new Set([release.requester, ...ctx.settings.releaseManagers])]) {
      await publisher.postReviewReminder(detail, user, round, `${key}:${user}`, retry);
      told.push(user);
    }
    return { told };
  },
});

/**
 * A follow-up action of a review as a Jira issue, linked to the change ticket as it is created. The
 * issue carries a label unique to the release and the action, so a retry finds the issue an earlier
 * attempt made (and links it if that attempt stopped short) instead of raising a second.
 */
export const jiraFollowUpEffect = effect({
  kinds: ['jira_follow_up'],
  payload: z.object({ releaseId, action: z.string().min(1).max(250) }),
  traits: { syncs: 'jira' },
  async perform(ctx, { changeTracker }, _kind, { releaseId, action }) {
    if (!changeTracker) throw new PermanentEffectError('Jira is not configured (JIRA_HOST and JIRA_API_TOKEN, plus JIRA_EMAIL for Jira Cloud)');
    const release = await findRelease(ctx.db, releaseId);
    if (!release) throw new PermanentEffectError(`release ${releaseId} is gone`);
    const project = serviceOf(ctx.settings, release.service).jiraProject;
    if (!project) throw new PermanentEffectError(`service ${release.service} has no jira_project`);
    if (!release.jiraKey) {
      const raise = await findOutbox(ctx.db, `jira:raise:${releaseId}`);
      if (!raise || raise.state === 'failed') throw new PermanentEffectError('the change ticket was never raised, so there is nothing to link the follow-up to');
      throw new EffectNotReadyError('the change ticket is not raised yet');
    }
    const linkType = ctx.settings.jira.linkType;
    try {
      const issue = await changeTracker.raise({
        project,
        issueType: ctx.settings.jira.followUpIssueType,
        summary: action,
        sections: [
          { heading: 'Follow-up action', text: action },
          { heading: 'From the post-release review of', text: `${releaseKey(release.id)}: ${release.service} ${release.version}${release.title ? ` (${release.title})` : ''}, change ticket ${release.jiraKey}` },
        ],
        correlation: `relm-${releaseKey(release.id).toLowerCase()}-follow-up-${actionKey(release.id, action)}`,
        links: [{ type: linkType, key: release.jiraKey }],
      });
      // Found from an earlier attempt: make sure it is linked (the link is skipped when it is there).
      const linked = issue.created ? { linked: [issue.key], already: [], missing: [] } : await changeTracker.link(release.jiraKey, [issue.key], linkType);
      return { key: issue.key, created: issue.created, linkedTo: release.jiraKey, linked: linked.linked.length > 0 || linked.already.length > 0 };
    } catch (error) {
      if (error instanceof ChangeTrackerRejectedError) throw new PermanentEffectError(error.message);
      throw error;
    }
  },
});
