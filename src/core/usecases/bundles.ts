import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { assertMayAdd, assertMayApproveBundle, bundleApprovalState, progressOf, reorderAfter, type BundleApprovalState, type BundleMemberRule, type MemberCandidate, type MemberProgress, type MemberRollout } from '../bundles.ts';
import { approvalRuleFor, eligibleApprovers } from '../policy.ts';
import { policyOf } from '../settings.ts';
import { effectiveRisk } from '../release.ts';
import type { ReleaseState } from '../release.ts';
import { appendAuditEntries } from '../../store/repositories/audit.ts';
import { findRelease } from '../../store/repositories/releases.ts';
import { bundleApprovals, recordBundleApproval, setBundleState, bumpRevision, bundleMembers, bundlesOf, lockMembersOf, deleteMember, findBundle, insertBundle, insertMembers, memberRollouts, openBundles, reorderMembers, type StoredBundle, type StoredBundleMember } from '../../store/repositories/bundles.ts';
import type { Transaction } from 'kysely';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';
import { decisionsFor, recordDecision } from '../../store/repositories/decisions.ts';
import { policyApproval } from '../approvals.ts';
import { markApproved } from './decide.ts';
import { loadRelease } from './load.ts';
import { changeTransaction, recordChange, snapshot } from './record-change.ts';
import { missingForSubmission } from './submit.ts';
import { transition } from '../lifecycle.ts';
import { updateReleaseIf } from '../../store/repositories/releases.ts';
import { bundleCardEffect, bundleSyncEffect, bundleTicketEffects } from './bundle-sync-effect.ts';
import type { DB } from '../../store/schema.ts';

export interface BundleView {
  bundle: StoredBundle;
  members: StoredBundleMember[];
}

async function loadBundle(db: Transaction<DB> | CoreContext['db'], id: number, lock = false): Promise<StoredBundle> {
  const bundle = await findBundle(db, id, { lock });
  if (!bundle) throw new DomainError('not_found', `BUN-${id} does not exist. Start one with \`/release bundle new "<name>"\`.`);
  return bundle;
}

export async function createBundle(ctx: CoreContext, actor: string, input: { name: string; plannedStart: Date | null; channel?: string | null }): Promise<StoredBundle> {
  const name = input.name.trim();
  if (!name) throw new DomainError('invalid_input', 'A bundle needs a name: `/release bundle new "Payments train"`.', { field: 'name' });
  if (name.length > 120) throw new DomainError('invalid_input', 'A bundle name takes at most 120 characters.', { field: 'name' });
  const now = ctx.clock();
  return ctx.db.transaction().execute(async (trx) => {
    const bundle = await insertBundle(trx, { name, createdBy: actor, at: now, plannedStart: input.plannedStart, channel: input.channel ?? null });
    await appendAuditEntries(trx, [{ releaseId: null, actor, action: 'bundle_created', after: { bundle: bundle.id, name }, at: now }]);
    return bundle;
  });
}

/** Every change to a bundle shows on its card (posted with its first member). */
async function refreshCard(ctx: CoreContext, trx: Transaction<DB>, bundleId: number, why: string, now: Date): Promise<number[]> {
  return enqueueOutbox(trx, [bundleCardEffect(bundleId, why, now)], now);
}

/** Adds releases to an open bundle, all or none; the bundle's approvals are void after it. */
export async function addToBundle(ctx: CoreContext, actor: string, bundleId: number, releaseIds: number[]): Promise<BundleView> {
  if (releaseIds.length === 0) throw new DomainError('invalid_input', `Name the releases to add: \`/release bundle add BUN-${bundleId} REL-12 REL-13\`.`);
  const now = ctx.clock();
  return ctx.db.transaction().execute(async (trx) => {
    const unique = [...new Set(releaseIds)];
    await lockMembersOf(trx, bundleId, unique);
    const bundle = await loadBundle(trx, bundleId, true);
    const owners = await bundlesOf(trx, unique);
    const candidates: (MemberCandidate | { releaseId: number; missing: true })[] = [];
    for (const id of unique) {
      const release = await findRelease(trx, id, { lock: true });
      candidates.push(release ? { releaseId: id, state: release.state as ReleaseState, bundleId: owners.get(id) ?? null } : { releaseId: id, missing: true });
    }
    assertMayAdd(bundle, candidates);
    await insertMembers(trx, bundle.id, unique, actor, now);
    await bumpRevision(trx, bundle.id);
    await appendAuditEntries(trx, unique.map((id) => ({ releaseId: id, actor, action: 'bundle_member_added', after: { bundle: bundle.id }, at: now })));
    return { bundle: (await findBundle(trx, bundle.id))!, members: await bundleMembers(trx, bundle.id), outbox: await refreshCard(ctx, trx, bundle.id, `added-${unique.join('-')}`, now) };
  }).then(dispatched(ctx));
}

/** Dispatches what a bundle change enqueued, after its commit, and returns the view. */
function dispatched(ctx: CoreContext) {
  return async <T extends BundleView>(result: T & { outbox: number[] }): Promise<T> => {
    await ctx.effects.dispatch(result.outbox);
    const { outbox: _done, ...view } = result;
    return view as unknown as T;
  };
}

export async function removeFromBundle(ctx: CoreContext, actor: string, bundleId: number, releaseId: number): Promise<BundleView> {
  const now = ctx.clock();
  return ctx.db.transaction().execute(async (trx) => {
    await lockMembersOf(trx, bundleId);
    const bundle = await loadBundle(trx, bundleId, true);
    if (bundle.state !== 'open') throw new DomainError('illegal_transition', `BUN-${bundle.id} is ${bundle.state.replace('_', ' ')}; members can only be removed while it is open.`);
    if (!(await deleteMember(trx, bundle.id, releaseId))) throw new DomainError('not_found', `REL-${releaseId} is not in BUN-${bundle.id}; nothing was removed.`);
    await bumpRevision(trx, bundle.id);
    await appendAuditEntries(trx, [{ releaseId, actor, action: 'bundle_member_removed', before: { bundle: bundle.id }, at: now }]);
    return { bundle: (await findBundle(trx, bundle.id))!, members: await bundleMembers(trx, bundle.id), outbox: await refreshCard(ctx, trx, bundle.id, `removed-${releaseId}`, now) };
  }).then(dispatched(ctx));
}

/** `bundle order BUN-n REL-x --after REL-y`: moves a member to run just after another; open bundles only. */
export async function orderBundle(ctx: CoreContext, actor: string, bundleId: number, releaseId: number, afterId: number): Promise<BundleView> {
  const now = ctx.clock();
  return ctx.db.transaction().execute(async (trx) => {
    await lockMembersOf(trx, bundleId);
    const bundle = await loadBundle(trx, bundleId, true);
    if (bundle.state !== 'open') throw new DomainError('illegal_transition', `BUN-${bundle.id} is ${bundle.state.replace('_', ' ')}; its order can only change while it is open (not yet approved or started).`);
    const order = (await bundleMembers(trx, bundle.id)).map((m) => m.releaseId);
    const next = reorderAfter(order, releaseId, afterId);
    await reorderMembers(trx, bundle.id, next);
    // The order is part of what approvers authorise: a new order voids the approvals so far.
    await bumpRevision(trx, bundle.id);
    await appendAuditEntries(trx, order.map((id) => ({ releaseId: id, actor, action: 'bundle_reordered', after: { bundle: bundle.id, order: next }, at: now })));
    return { bundle: (await findBundle(trx, bundle.id))!, members: await bundleMembers(trx, bundle.id), outbox: await refreshCard(ctx, trx, bundle.id, `order-${next.join('-')}`, now) };
  }).then(dispatched(ctx));
}

export async function showBundle(ctx: CoreContext, bundleId: number): Promise<BundleView> {
  const bundle = await loadBundle(ctx.db, bundleId);
  return { bundle, members: await bundleMembers(ctx.db, bundle.id) };
}

/** Each member's own approval rule, for the strictest-rule check (src/core/bundles.ts). */
async function memberRules(ctx: CoreContext, db: Transaction<DB> | CoreContext['db'], members: Pick<StoredBundleMember, 'releaseId'>[]): Promise<BundleMemberRule[]> {
  const rules: BundleMemberRule[] = [];
  for (const m of members) {
    const release = await findRelease(db, m.releaseId);
    if (!release) continue;
    const rule = approvalRuleFor(policyOf(ctx.settings, release.service), release.type, effectiveRisk(release));
    rules.push({ releaseId: release.id, owner: release.requester, required: rule.required, eligible: await eligibleApprovers(rule, ctx.settings.groups, ctx.directory) });
  }
  return rules;
}

/**
 * One approval for the whole bundle, on its current revision. The bundle is approved when every member's
 * own rule is met (the strictest rule); nobody who owns a member may approve.
 */
export async function approveBundle(ctx: CoreContext, actor: string, bundleId: number): Promise<BundleView & { approval: BundleApprovalState }> {
  const now = ctx.clock();
  return changeTransaction(ctx, async (trx) => {
    await lockMembersOf(trx, bundleId);
    const bundle = await loadBundle(trx, bundleId, true);
    if (bundle.state !== 'open') throw new DomainError('illegal_transition', `BUN-${bundle.id} is ${bundle.state.replace('_', ' ')}; only an open bundle can be approved.`);
    const members = await bundleMembers(trx, bundle.id);
    if (members.length === 0) throw new DomainError('invalid_input', `BUN-${bundle.id} has no members yet: \`/release bundle add BUN-${bundle.id} REL-12\`.`);
    const rejected = members.filter((m) => m.state === 'rejected');
    if (rejected.length) throw new DomainError('illegal_transition', `${rejected.map((m) => `REL-${m.releaseId}`).join(', ')} ${rejected.length > 1 ? 'were' : 'was'} rejected: revise it (\`/release edit REL-${rejected[0]!.releaseId}\`) or take it out of the bundle first.`);
    for (const m of members.filter((m) => m.state === 'draft' || m.state === 'submitted')) {
      // A Slack approval of the bundle cannot stand in for an approval its policy takes from Jira.
      const source = policyOf(ctx.settings, m.service).approvalSource;
      if (source !== 'slack') throw new DomainError('not_authorised', `REL-${m.releaseId}'s policy takes its approval from Jira (approval_source: ${source}): approve it on its change ticket first; the bundle's approval then covers the rest. Nothing was recorded.`);
    }
    for (const m of members.filter((m) => m.state === 'draft')) {
      // A draft member is submitted by the bundle's approval, so its plan must be complete now.
      const release = await loadRelease(trx, m.releaseId);
      const missing = missingForSubmission(release, policyOf(ctx.settings, release.service));
      if (missing.length) throw new DomainError('invalid_input', `REL-${m.releaseId} needs ${missing.join(' and ')} before the bundle can be approved: use \`/release edit REL-${m.releaseId}\`. Nothing was recorded.`);
    }
    const rules = await memberRules(ctx, trx, members);
    assertMayApproveBundle(rules, actor);
    if (!(await recordBundleApproval(trx, bundle.id, bundle.revision, actor, now))) {
      throw new DomainError('already_decided', `You have already approved revision ${bundle.revision} of BUN-${bundle.id}.`);
    }
    const approvers = await bundleApprovals(trx, bundle.id, bundle.revision);
    const approval = bundleApprovalState(rules, approvers);
    await appendAuditEntries(trx, members.map((m) => ({ releaseId: m.releaseId, actor, action: 'bundle_approval_given', after: { bundle: bundle.id, revision: bundle.revision, approved: approval.approved }, at: now })));
    const outbox: number[] = [];
    if (approval.approved) {
      await setBundleState(trx, bundle.id, 'open', 'approved');
      for (const rule of rules) outbox.push(...(await authoriseMember(ctx, trx, bundle.id, rule, approvers, actor, now)));
      outbox.push(...(await enqueueOutbox(trx, bundleTicketEffects(Boolean(ctx.jira), bundle.id, 'approved', now), now)));
      // The bundle starts at its time (or at once when that is past); without one it waits for `bundle start`.
      if (bundle.plannedStart) outbox.push(...(await enqueueOutbox(trx, [bundleSyncEffect(bundle.id, 'approved', now, bundle.plannedStart > now ? bundle.plannedStart : undefined)], now)));
    }
    outbox.push(...(await refreshCard(ctx, trx, bundle.id, `approval-${actor}`, now)));
    return { bundle: (await findBundle(trx, bundle.id))!, members: await bundleMembers(trx, bundle.id), approval, outbox };
  }).then(dispatched(ctx));
}

/**
 * The bundle's approval authorises each member: the bundle's approvers who may approve that member are
 * recorded as its approvals (on its current revision, "via BUN-n"), so the rollout's checks of
 * authorisation, expiry and freezes read them as they read any release's. A member approved on its own
 * already keeps its approvals.
 */
async function authoriseMember(ctx: CoreContext, trx: Transaction<DB>, bundleId: number, rule: BundleMemberRule, approvers: string[], actor: string, now: Date): Promise<number[]> {
  let current = await loadRelease(trx, rule.releaseId, { lock: true });
  if (current.state === 'draft') {
    // Submitted by the bundle: no request of its own goes out, the bundle's covered it.
    const submitted = await updateReleaseIf(trx, current.id, 'draft', { state: transition(current, 'submit'), submitted_at: now, updated_at: now });
    if (!submitted) return [];
    const jira = ctx.jira && ctx.settings.services[submitted.service]?.jiraProject ? [{ kind: 'jira_raise', releaseId: submitted.id, dedupeKey: `jira:raise:${submitted.id}`, payload: { releaseId: submitted.id } }] : [];
    await recordChange(trx, { release: submitted, actor, action: 'submitted', before: snapshot(current), after: { ...snapshot(submitted), bundle: bundleId }, at: now, effects: jira });
    current = submitted;
  }
  if (current.state !== 'submitted') return [];
  for (const approver of approvers.filter((a) => rule.eligible.has(a) && a !== rule.owner)) {
    await recordDecision(trx, current.id, { approver, decision: 'approve', revision: current.revision, decidedAt: now, comment: `via BUN-${bundleId}` });
  }
  const policy = policyOf(ctx.settings, current.service);
  const status = policyApproval(policy.approvalSource, await decisionsFor(trx, current.id, current.revision), current.revision, rule.required, now, policy.approvalExpiresAfterMs);
  if (!status.quorum) return [];
  // Its effects (the card, the announcement, the wake-up at its start) are dispatched with the transaction's.
  await markApproved(ctx, trx, current, status, actor, now);
  return [];
}

/** What the bundle's card shows: every member and where it stands, and while open, who may approve. */
export interface BundleCard {
  bundle: StoredBundle;
  members: (MemberRollout & { progress: MemberProgress })[];
  approval: BundleApprovalState | null;
  approvers: string[];
}

export async function bundleCard(ctx: CoreContext, bundleId: number): Promise<BundleCard> {
  const bundle = await loadBundle(ctx.db, bundleId);
  const members = await memberRollouts(ctx.db, bundle.id);
  const progress = progressOf(members);
  let approval: BundleApprovalState | null = null;
  let approvers: string[] = [];
  if (bundle.state === 'open' && members.length) {
    approvers = await bundleApprovals(ctx.db, bundle.id, bundle.revision);
    approval = bundleApprovalState(await memberRules(ctx, ctx.db, members), approvers);
  }
  return { bundle, members: members.map((m, i) => ({ ...m, progress: progress[i]!.progress })), approval, approvers };
}

/** What the planning form offers: the open bundles, and the one this release is in, if any. */
export async function bundleChoices(ctx: CoreContext, releaseId?: number): Promise<{ open: { id: number; name: string }[]; current: number | null }> {
  const open = await openBundles(ctx.db);
  const current = releaseId === undefined ? null : ((await bundlesOf(ctx.db, [releaseId])).get(releaseId) ?? null);
  return { open, current };
}
