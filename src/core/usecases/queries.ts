import type { Kysely, Transaction } from 'kysely';
import type { CoreContext } from '../context.ts';
import type { DB } from '../../store/schema.ts';
import { policyApproval, type ApprovalStatus, type Decision } from '../approvals.ts';
import { approvalRuleFor, type ApprovalRule, type Policy } from '../policy.ts';
import { effectiveRisk } from '../release.ts';
import type { Conflict } from '../conflicts.ts';
import { locksHolding, type DeployLock } from '../locks.ts';
import { activeLocks } from '../../store/repositories/deploy-locks.ts';
import { conflictsForRelease } from './conflicts.ts';
import { releaseTargets } from './rollout/gate.ts';
import { policyOf, type Wave } from '../settings.ts';
import { wavesOf, type RolloutStep } from '../rollout.ts';
import { stepsOf } from '../../store/repositories/steps.ts';
import type { ReleaseState, StoredRelease } from '../release.ts';
import type { AuditEntry } from '../audit.ts';
import { decisionsFor } from '../../store/repositories/decisions.ts';
import { auditFor } from '../../store/repositories/audit.ts';
import { listReleases } from '../../store/repositories/releases.ts';
import { loadRelease } from './load.ts';
import { incidentsOf, type Incident } from '../../store/repositories/incidents.ts';
import { failedEffects, heldNoticeCount, latestResultWith, unfinishedEffectKinds, unreachedAudience } from '../../store/repositories/effect-status.ts';

/** The effects that tell a release's audience: their failures are people not reached, not systems out of sync. */
const AUDIENCE_KINDS = ['audience_notice', 'audience_note', 'audience_dm', 'audience_dm_fanout'];
import { ratingSummary } from '../../store/repositories/ratings.ts';
import { findReview } from '../../store/repositories/reviews.ts';
import type { ReviewStatus } from '../review.ts';
import { reviewStatusOf } from './review.ts';

export interface ReleaseDetail {
  release: StoredRelease;
  waves: Wave[];
  steps: RolloutStep[];
  policy: Policy;
  decisions: Decision[];
  approval: ApprovalStatus;
  history: AuditEntry[];
  /** Side effects that failed for good (a GitHub refusal, a Slack channel gone), with the reason. */
  syncProblems: { kind: string; error: string }[];
  /** The kinds of effects still to be made (queued, or being retried); their traits say which keep Jira or GitHub in step. */
  syncPending: string[];
  /** Work items the plan mentions that Jira does not know, as the latest linking of the ticket found. */
  unknownWorkItems: string[];
  /** Incidents recorded as caused by the release, oldest first. */
  incidents: Incident[];
  /** How the audience rated the release (customer satisfaction): responses, mean score and the latest comments. */
  rating: { responses: number; mean: number | null; comments: { rater: string; score: number; comment: string | null; ratedAt: Date }[] };
  /** Audience channels and people its notices could not reach (a channel relm is not in, a deactivated user). */
  unreached: { total: number; first: { who: string; reason: string }[] };
  /** Notices waiting for their moment: reminders, and DMs held through their readers' night. */
  heldNotices: number;
  /** The post-release review: done, due, overdue, optional, or none before the rollout finishes. */
  review: ReviewStatus;
  /** The approval rule it must meet (its type's, or high_risk's at high risk); null without a rule for its type. */
  rule: ApprovalRule | null;
  /** Live releases whose rollouts may overlap this one's on its service or a shared target. */
  conflicts: Conflict[];
  /** Deploy locks in force on its service that hold one of its targets. */
  locks: DeployLock[];
}

/** A release with its decisions, approval standing, steps and (unless told not to) history: what `show` and the card display. */
/**
 * `history: false` leaves out the audit history; `effects: false` leaves out the state of the release's
 * own effects (what failed, is pending or held), which a notice to thousands must not count each time.
 */
export async function releaseDetail(ctx: CoreContext, id: number, db: Kysely<DB> | Transaction<DB> = ctx.db, options: { history?: boolean; effects?: boolean } = {}): Promise<ReleaseDetail> {
  const release = await loadRelease(db, id);
  const policy = policyOf(ctx.settings, release.service);
  const decisions = await decisionsFor(db, id);
  const rule = policy.approvals[release.type] ? approvalRuleFor(policy, release.type, effectiveRisk(release)) : null;
  const required = rule?.required ?? 0;
  const approval = policyApproval(policy.approvalSource, decisions, release.revision, required, ctx.clock(), policy.approvalExpiresAfterMs);
  let waves: Wave[] = [];
  try {
    waves = wavesOf(ctx.settings, release);
  } catch {
    waves = [];
  }
  // The latest raise or plan update of the change ticket says which mentioned keys could not be linked.
  const linking = await latestResultWith(db, id, ['jira_raise', 'jira_update'], 'missing');
  return {
    release,
    waves,
    steps: await stepsOf(db, id),
    policy,
    decisions,
    approval,
    history: options.history === false ? [] : await auditFor(db, id),
    ...(options.effects === false
      ? { syncProblems: [], syncPending: [], unreached: { total: 0, first: [] }, heldNotices: 0 }
      : {
          syncProblems: await failedEffects(db, id, AUDIENCE_KINDS),
          syncPending: await unfinishedEffectKinds(db, id, ctx.clock()),
          unreached: await unreachedAudience(db, id, AUDIENCE_KINDS),
          heldNotices: await heldNoticeCount(db, id, AUDIENCE_KINDS, ctx.clock()),
        }),
    incidents: await incidentsOf(db, id),
    rating: await ratingSummary(db, id),
    review: reviewStatusOf(ctx, release, await findReview(db, id)),
    rule,
    conflicts: await conflictsForRelease(ctx, db, release),
    locks: LOCKABLE.has(release.state) ? locksHolding(await activeLocks(db, ctx.clock(), release.service), release.service, releaseTargets(ctx, release)) : [],
    unknownWorkItems: (Array.isArray(linking?.missing) ? linking.missing : []).filter((k): k is string => typeof k === 'string'),
  };
}

const LOCKABLE = new Set(['draft', 'submitted', 'approved', 'scheduled', 'in_progress', 'paused']);

export async function findReleases(ctx: CoreContext, filter: { service?: string; states?: ReleaseState[]; limit?: number }): Promise<StoredRelease[]> {
  return listReleases(ctx.db, filter);
}
