import type { EffectDefinition } from './effect.ts';
import { cardEffect } from './card.ts';
import { threadNoteEffect } from './thread-note.ts';
import { approvalRequestClosedEffect, approvalRequestEffect } from './approval-request.ts';
import { alertEffect, announceEffect } from './announce.ts';
import { changeTicketEffect, jiraIncidentLinkEffect } from './jira.ts';
import { githubAssetsEffect } from './github-assets.ts';
import { githubReleaseEffect } from './github-release.ts';
import { releaseCommitsEffect } from './release-commits.ts';
import { audienceNoteEffect, audienceNoticeEffect } from './audience.ts';
import { personalFanoutEffect, personalNoticeEffect } from './personal-notice.ts';
import { homeFanoutEffect, homePublishEffect } from './home.ts';
import { approvalEscalationEffect, approvalExpiryWarningEffect, approvalReminderEffect } from './approval-chase.ts';
import { jiraFollowUpEffect, reviewReminderEffect } from './review.ts';
import { deploymentReviewEffect } from './deployment-review.ts';
import { digestEffect } from './digest.ts';
import { bundleCardEffect, bundleSyncEffect, bundleTicketEffect } from './bundle.ts';
import { checklistRefreshEffect, deployStepEffect, githubPollEffect, verifyStepEffect, wakeEffect } from './rollout.ts';

/** Every kind of side effect relm performs. A new kind is one file and one line here. */
export const EFFECTS = [
  cardEffect,
  threadNoteEffect,
  approvalRequestEffect,
  approvalRequestClosedEffect,
  announceEffect,
  alertEffect,
  changeTicketEffect,
  jiraIncidentLinkEffect,
  githubAssetsEffect,
  githubReleaseEffect,
  releaseCommitsEffect,
  wakeEffect,
  deployStepEffect,
  githubPollEffect,
  verifyStepEffect,
  checklistRefreshEffect,
  audienceNoticeEffect,
  audienceNoteEffect,
  personalFanoutEffect,
  personalNoticeEffect,
  approvalReminderEffect,
  approvalEscalationEffect,
  homeFanoutEffect,
  homePublishEffect,
  approvalExpiryWarningEffect,
  reviewReminderEffect,
  jiraFollowUpEffect,
  deploymentReviewEffect,
  digestEffect,
  bundleSyncEffect,
  bundleCardEffect,
  bundleTicketEffect,
] as const;

/** The name of every effect kind, as the outbox stores it. */
export type EffectKind = (typeof EFFECTS)[number]['kinds'][number];

const BY_KIND = new Map<string, EffectDefinition<string, any>>(EFFECTS.flatMap((d) => d.kinds.map((k) => [k, d as EffectDefinition<string, any>] as const)));

export function effectOf(kind: string): EffectDefinition<string, any> | undefined {
  return BY_KIND.get(kind);
}

/** The kinds of one ordered group (made in the order written, per release). */
export function kindsInGroup(group: NonNullable<EffectDefinition<string, unknown>['traits']['orderedGroup']>): string[] {
  return EFFECTS.filter((d) => d.traits.orderedGroup === group).flatMap((d) => [...d.kinds]);
}

/** The outside system an effect kind keeps in step with the release (Jira, GitHub), if any. */
export function syncsWith(kind: string): 'jira' | 'github' | undefined {
  return effectOf(kind)?.traits.syncs;
}
