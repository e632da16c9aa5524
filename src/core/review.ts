import { createHash } from 'node:crypto';
import type { Release, ReleaseState } from './release.ts';

/** What `require_review` may name: a release's outcome, an emergency release, or every finished release. */
export const REVIEW_REQUIREMENTS = ['failed', 'rolled_back', 'completed', 'emergency', 'all'] as const;
export type ReviewRequirement = (typeof REVIEW_REQUIREMENTS)[number];

/** What of a policy decides whether a review is required (policy.ts's Policy has it). */
export interface ReviewPolicy {
  requireReview?: readonly ReviewRequirement[];
}

/** The policy default: reviews are required where something went wrong or the change was urgent. */
export const DEFAULT_REQUIRE_REVIEW: readonly ReviewRequirement[] = ['failed', 'rolled_back', 'emergency'];

/** The states a rollout ends in; a review looks back on one of these. */
export const FINISHED_STATES: readonly ReleaseState[] = ['completed', 'failed', 'rolled_back'];

/** The first reminders of a required review come at 1, 2, 3 and 4 times `review_after` after the rollout finished… */
export const REVIEW_REMINDER_FIRST_ROUNDS = 4;
/** …then one a week (or every `review_after`, when that is longer) until the review is written. */
export const REVIEW_REMINDER_LATER_EVERY_MS = 7 * 86_400_000;

/** A post-release review as the reviewer wrote it. */
export interface Review {
  releaseId: number;
  /** Who wrote it first, and who changed it last. */
  author: string;
  editor: string;
  wentWell: string;
  wentBadly: string;
  lessons: string;
  /** Follow-up actions, one per line as written. */
  actions: string[];
  /** Whether each action is raised as a Jira issue linked to the change ticket. */
  raiseInJira: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** How many times it was changed after it was first written. */
  edits: number;
}

/**
 * Where a release's review stands: `done` (written), `due` (required, not written, before its due time),
 * `overdue` (required, past its due time), `optional` (finished, not required by the policy), or `none`
 * (the rollout has not finished).
 */
export type ReviewStatus =
  | { status: 'done'; by: string; at: Date; dueAt: Date | null }
  | { status: 'due' | 'overdue'; dueAt: Date }
  | { status: 'optional'; dueAt: null }
  | { status: 'none'; dueAt: null };

/** Whether the policy requires a review of this finished release. */
export function reviewRequired(release: Pick<Release, 'state' | 'type'>, policy: ReviewPolicy): boolean {
  if (!FINISHED_STATES.includes(release.state)) return false;
  const rules = policy.requireReview ?? DEFAULT_REQUIRE_REVIEW;
  return rules.includes('all') || rules.includes(release.state as ReviewRequirement) || (release.type === 'emergency' && rules.includes('emergency'));
}

/** A release's review state, from the release, its review (if written), its policy and its model's `review_after`. */
export function reviewStatus(release: Pick<Release, 'state' | 'type' | 'finishedAt'>, review: Pick<Review, 'editor' | 'updatedAt'> | undefined, policy: ReviewPolicy, reviewAfterMs: number, now: Date): ReviewStatus {
  const finished = FINISHED_STATES.includes(release.state) && release.finishedAt !== null;
  const required = finished && reviewRequired(release, policy);
  const dueAt = required ? new Date(release.finishedAt!.getTime() + reviewAfterMs) : null;
  if (review) return { status: 'done', by: review.editor, at: review.updatedAt, dueAt };
  if (!finished) return { status: 'none', dueAt: null };
  if (!dueAt) return { status: 'optional', dueAt: null };
  return { status: now.getTime() < dueAt.getTime() ? 'due' : 'overdue', dueAt };
}

/** When reminder round `round` (1, 2, …) of a review is due: see REVIEW_REMINDER_FIRST_ROUNDS. */
export function reviewReminderAt(finishedAt: Date, reviewAfterMs: number, round: number): Date {
  const first = Math.min(round, REVIEW_REMINDER_FIRST_ROUNDS) * reviewAfterMs;
  const later = Math.max(0, round - REVIEW_REMINDER_FIRST_ROUNDS) * Math.max(reviewAfterMs, REVIEW_REMINDER_LATER_EVERY_MS);
  return new Date(finishedAt.getTime() + first + later);
}

/**
 * The reminder round due now for a required review not yet written: the latest round whose time has
 * come, so a relm that was down for a week sends one reminder, not several; undefined before the first.
 */
export function reviewReminderRound(finishedAt: Date, reviewAfterMs: number, now: Date): number | undefined {
  if (reviewAfterMs <= 0) return undefined;
  const elapsed = now.getTime() - finishedAt.getTime();
  const fast = Math.floor(elapsed / reviewAfterMs);
  if (fast < 1) return undefined;
  if (fast <= REVIEW_REMINDER_FIRST_ROUNDS) return fast;
  const afterFirst = elapsed - REVIEW_REMINDER_FIRST_ROUNDS * reviewAfterMs;
  return REVIEW_REMINDER_FIRST_ROUNDS + Math.floor(afterFirst / Math.max(reviewAfterMs, REVIEW_REMINDER_LATER_EVERY_MS));
}

/** Follow-up actions as typed: one per line, bullets and blank lines dropped, each once. */
export function parseActions(text: string): string[] {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  return [...new Set(lines)];
}

/** A follow-up action's stable identity within its release: the same words are the same action, however often submitted. */
export function actionKey(releaseId: number, action: string): string {
  return createHash('sha256').update(`${releaseId}\n${action.toLowerCase()}`).digest('hex').slice(0, 16);
}
