import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { releaseKey, type StoredRelease } from '../release.ts';
import type { AuditEntry } from '../audit.ts';
import type { RolloutStep } from '../rollout.ts';
import type { OutboxMessage } from '../effect.ts';
import { policyOf } from '../settings.ts';
import { actionKey, DEFAULT_REQUIRE_REVIEW, FINISHED_STATES, parseActions, reviewStatus, type Review, type ReviewStatus } from '../review.ts';
import { assertOwnerOrManager } from './access.ts';
import { loadRelease } from './load.ts';
import { changeTransaction, recordChange } from './record-change.ts';
import { auditFor } from '../../store/repositories/audit.ts';
import { stepsOf } from '../../store/repositories/steps.ts';
import { incidentsOf, type Incident } from '../../store/repositories/incidents.ts';
import { ratingSummary } from '../../store/repositories/ratings.ts';
import { findReview, reviewCounts, saveReview, searchLessons, type LessonMatch, type ReviewRule } from '../../store/repositories/reviews.ts';

export type { LessonMatch };

/** The default `review_after` of a deployment model no longer in relm.yml. */
export const DEFAULT_REVIEW_AFTER_MS = 3 * 86_400_000;

/** One phase of a release's life, from one milestone to the next. */
export interface TimelinePhase {
  /** What the release was doing: drafting, awaiting approval, waiting to start, rolling out. */
  phase: 'planning' | 'approval' | 'waiting' | 'rollout';
  from: Date;
  to: Date;
  ms: number;
}

/** One try of one wave (or one wave's rollback), as it ran. */
export interface WaveFact {
  kind: 'deploy' | 'rollback';
  wave: string;
  try: number;
  result: RolloutStep['state'];
  startedAt: Date | null;
  finishedAt: Date | null;
  ms: number | null;
  error: string | null;
}

/** A departure from the plan, as the audit trail recorded it. */
export interface Deviation {
  kind: 'rescheduled' | 'revised' | 'rejected' | 'paused' | 'wave_failed' | 'retried' | 'skipped' | 'rolled_back' | 'aborted' | 'bypassed_freeze' | 'reapproval';
  at: Date;
  actor: string;
  /** The reason, the new time, the wave: whatever the entry says, as plain text (the edge escapes it). */
  detail: string | null;
}

/** What relm recorded about a finished release: the facts a post-release review starts from. */
export interface ReviewFacts {
  release: StoredRelease;
  timeline: TimelinePhase[];
  waves: WaveFact[];
  deviations: Deviation[];
  incidents: Incident[];
  rating: { responses: number; mean: number | null };
  review: Review | undefined;
  status: ReviewStatus;
  /** The change ticket follow-ups are linked to, when Jira is on for the service. */
  jiraKey: string | null;
}

const DEVIATIONS: Record<string, Deviation['kind']> = {
  rescheduled: 'rescheduled',
  rejected: 'rejected',
  rollout_paused: 'paused',
  wave_failed: 'wave_failed',
  wave_retried: 'retried',
  wave_skipped: 'skipped',
  rollback_requested: 'rolled_back',
  rollout_aborted: 'aborted',
  freeze_bypassed: 'bypassed_freeze',
  reapproval_needed: 'reapproval',
};

function text(value: unknown, key: string): string | null {
  const v = (value as Record<string, unknown> | null)?.[key];
  return typeof v === 'string' && v.trim() ? v : null;
}

/** The plan changes, reschedules, pauses, failures and rollbacks of a release, oldest first. */
export function deviationsOf(history: AuditEntry[]): Deviation[] {
  const submittedAt = history.find((e) => e.action === 'submitted')?.at;
  const out: Deviation[] = [];
  for (const entry of history) {
    // A plan changed after it was put to the approvers is a revision; before that it is still drafting.
    const kind = entry.action === 'replanned' ? (submittedAt && entry.at >= submittedAt ? 'revised' : undefined) : DEVIATIONS[entry.action];
    if (!kind) continue;
    const detail = text(entry.after, 'reason') ?? text(entry.after, 'detail') ?? (kind === 'rescheduled' ? text(entry.after, 'plannedStart') : null) ?? text(entry.after, 'wave');
    out.push({ kind, at: entry.at, actor: entry.actor, detail: kind === 'wave_failed' && text(entry.after, 'wave') ? `${text(entry.after, 'wave')}${detail && detail !== text(entry.after, 'wave') ? `: ${detail}` : ''}` : detail });
  }
  return out;
}

/** The time spent in each phase: planned → submitted → approved → started → finished (the last approval before the start counts). */
export function timelineOf(release: StoredRelease, history: AuditEntry[]): TimelinePhase[] {
  const firstOf = (action: string) => history.find((e) => e.action === action)?.at;
  const started = release.startedAt ?? firstOf('rollout_started');
  const lastBefore = (action: string, limit: Date | undefined) => [...history].reverse().find((e) => e.action === action && (!limit || e.at <= limit))?.at;
  const milestones: [TimelinePhase['phase'], Date | undefined, Date | undefined][] = [];
  const planned = firstOf('planned') ?? release.createdAt;
  const submitted = firstOf('submitted') ?? release.submittedAt ?? undefined;
  const approved = lastBefore('approved', started) ?? release.approvedAt ?? undefined;
  const finished = release.finishedAt ?? undefined;
  milestones.push(['planning', planned, submitted], ['approval', submitted, approved], ['waiting', approved, started], ['rollout', started, finished]);
  return milestones.filter((m): m is [TimelinePhase['phase'], Date, Date] => m[1] !== undefined && m[2] !== undefined).map(([phase, from, to]) => ({ phase, from, to, ms: Math.max(0, to.getTime() - from.getTime()) }));
}

function wavesFrom(steps: RolloutStep[]): WaveFact[] {
  return steps
    .filter((s) => s.state !== 'pending' || s.startedAt)
    .map((s) => ({ kind: s.kind, wave: s.waveName, try: s.try, result: s.state, startedAt: s.startedAt, finishedAt: s.finishedAt, ms: s.startedAt && s.finishedAt ? s.finishedAt.getTime() - s.startedAt.getTime() : null, error: s.error }));
}

function reviewAfterOf(ctx: CoreContext, release: StoredRelease): number {
  return Object.hasOwn(ctx.settings.deploymentModels, release.deploymentModel) ? (ctx.settings.deploymentModels[release.deploymentModel]!.reviewAfterMs ?? DEFAULT_REVIEW_AFTER_MS) : DEFAULT_REVIEW_AFTER_MS;
}

/** Where a release's review stands (done, due, overdue, optional, or none before the rollout ends). */
export function reviewStatusOf(ctx: CoreContext, release: StoredRelease, review: Review | undefined): ReviewStatus {
  let policy;
  try {
    policy = policyOf(ctx.settings, release.service);
  } catch {
    policy = { requireReview: [] };
  }
  return reviewStatus(release, review, policy, reviewAfterOf(ctx, release), ctx.clock());
}

function jiraOn(ctx: CoreContext, release: StoredRelease): boolean {
  return Boolean(ctx.jira && Object.hasOwn(ctx.settings.services, release.service) && ctx.settings.services[release.service]!.jiraProject);
}

function assertFinished(release: StoredRelease): void {
  if (!FINISHED_STATES.includes(release.state)) throw new DomainError('illegal_transition', `${releaseKey(release.id)} is ${release.state.replace('_', ' ')}; it can be reviewed once its rollout has finished (completed, failed or rolled back).`);
}

/**
 * The facts a post-release review starts from, for its owner or a release manager: the timeline with
 * the time in each phase, every wave's tries and results, the deviations from the plan, incidents,
 * ratings, and the review so far when there is one.
 */
export async function reviewFacts(ctx: CoreContext, actor: string, id: number): Promise<ReviewFacts> {
  const release = await loadRelease(ctx.db, id);
  assertOwnerOrManager(ctx.settings, release, actor, 'review it');
  assertFinished(release);
  const history = await auditFor(ctx.db, id);
  const review = await findReview(ctx.db, id);
  return {
    release,
    timeline: timelineOf(release, history),
    waves: wavesFrom(await stepsOf(ctx.db, id)),
    deviations: deviationsOf(history),
    incidents: await incidentsOf(ctx.db, id),
    rating: await ratingSummary(ctx.db, id),
    review,
    status: reviewStatusOf(ctx, release, review),
    jiraKey: jiraOn(ctx, release) ? release.jiraKey : null,
  };
}

/** Limits of what a review holds: one Slack multiline input each. */
export const REVIEW_LIMITS = { text: 3_000, actions: 20, action: 250 } as const;

export interface ReviewInput {
  wentWell: string;
  wentBadly: string;
  lessons: string;
  /** One per line. */
  actions: string;
  raiseInJira: boolean;
}

/**
 * Writes (or changes) the review of a finished release, audited, with a Jira issue for each follow-up
 * action linked to the change ticket when asked and Jira is on. Each follow-up is an outbox effect keyed
 * by the release and the action's words, so a submission retried or edited never raises one twice.
 */
export async function submitReview(ctx: CoreContext, actor: string, id: number, input: ReviewInput): Promise<{ review: Review; edited: boolean; followUps: number }> {
  const actions = parseActions(input.actions);
  if (actions.length > REVIEW_LIMITS.actions) throw new DomainError('invalid_input', `A review has at most ${REVIEW_LIMITS.actions} follow-up actions; keep the rest in the lessons.`, { field: 'actions' });
  const long = actions.find((a) => a.length > REVIEW_LIMITS.action);
  if (long) throw new DomainError('invalid_input', `A follow-up action is one line of at most ${REVIEW_LIMITS.action} characters (it becomes an issue's summary).`, { field: 'actions' });
  const fields = { wentWell: input.wentWell.trim(), wentBadly: input.wentBadly.trim(), lessons: input.lessons.trim() };
  for (const [field, value] of Object.entries(fields)) {
    if (value.length > REVIEW_LIMITS.text) throw new DomainError('invalid_input', `Each part of a review is at most ${REVIEW_LIMITS.text} characters.`, { field });
  }
  if (!fields.wentWell && !fields.wentBadly && !fields.lessons && actions.length === 0) throw new DomainError('invalid_input', 'A review needs at least one of: what went well, what did not, lessons learned, follow-up actions.', { field: 'lessons' });
  const now = ctx.clock();
  return changeTransaction(ctx, async (trx) => {
    const release = await loadRelease(trx, id, { lock: true });
    assertOwnerOrManager(ctx.settings, release, actor, 'review it');
    assertFinished(release);
    const raiseInJira = input.raiseInJira && jiraOn(ctx, release);
    const { review, before } = await saveReview(trx, id, actor, { ...fields, actions, raiseInJira }, now);
    const effects: OutboxMessage[] = raiseInJira
      ? actions.map((action) => ({ kind: 'jira_follow_up', releaseId: id, dedupeKey: `jira:follow-up:${id}:${actionKey(id, action)}`, payload: { releaseId: id, action } }))
      : [];
    const shape = (r: Review | undefined) => (r ? { wentWell: r.wentWell, wentBadly: r.wentBadly, lessons: r.lessons, actions: r.actions, raiseInJira: r.raiseInJira } : undefined);
    await recordChange(trx, { release, actor, action: before ? 'review_edited' : 'review_written', before: shape(before), after: { ...shape(review), edits: review.edits }, at: now, effects });
    return { review, edited: before !== undefined, followUps: effects.length };
  });
}

/** `lessons <words>`: past reviews whose text matches, best first. */
export async function searchPastLessons(ctx: CoreContext, words: string, options: { limit?: number; services?: string[] } = {}): Promise<LessonMatch[]> {
  const query = words.trim();
  if (!query) throw new DomainError('invalid_input', 'Say what to look for: `/release lessons database migration`.');
  if (query.length > 200) throw new DomainError('invalid_input', 'Search with a few words (at most 200 characters).');
  return searchLessons(ctx.db, query, options);
}

/** Reviews done and due among releases finished in [from, to), by each service's own `require_review` (for the KPIs). */
export async function reviewCountsFor(ctx: Pick<CoreContext, 'db' | 'settings'>, filter: { from: Date; to: Date; services?: string[] }): Promise<{ done: number; due: number }> {
  const rules: ReviewRule[] = Object.keys(ctx.settings.services).flatMap((service) => {
    try {
      return [{ service, requireReview: policyOf(ctx.settings, service).requireReview ?? DEFAULT_REQUIRE_REVIEW }];
    } catch {
      return [];
    }
  });
  return reviewCounts(ctx.db, { ...filter, rules });
}
