import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { assertMayAdd, assertMayApproveBundle, bundleApprovalState, type BundleApprovalState, type BundleMemberRule, type MemberCandidate } from '../bundles.ts';
import { approvalRuleFor, eligibleApprovers } from '../policy.ts';
import { policyOf } from '../settings.ts';
import { effectiveRisk } from '../release.ts';
import type { ReleaseState } from '../release.ts';
import { appendAuditEntries } from '../../store/repositories/audit.ts';
import { findRelease } from '../../store/repositories/releases.ts';
import { bundleApprovals, recordBundleApproval, setBundleState, bumpRevision, bundleMembers, bundlesOf, deleteMember, findBundle, insertBundle, insertMembers, type StoredBundle, type StoredBundleMember } from '../../store/repositories/bundles.ts';
import type { Transaction } from 'kysely';
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

export async function createBundle(ctx: CoreContext, actor: string, input: { name: string; plannedStart: Date | null }): Promise<StoredBundle> {
  const name = input.name.trim();
  if (!name) throw new DomainError('invalid_input', 'A bundle needs a name: `/release bundle new "Payments train"`.', { field: 'name' });
  if (name.length > 120) throw new DomainError('invalid_input', 'A bundle name takes at most 120 characters.', { field: 'name' });
  const now = ctx.clock();
  return ctx.db.transaction().execute(async (trx) => {
    const bundle = await insertBundle(trx, { name, createdBy: actor, at: now, plannedStart: input.plannedStart });
    await appendAuditEntries(trx, [{ releaseId: null, actor, action: 'bundle_created', after: { bundle: bundle.id, name }, at: now }]);
    return bundle;
  });
}

/** Adds releases to an open bundle, all or none; the bundle's approvals are void after it. */
export async function addToBundle(ctx: CoreContext, actor: string, bundleId: number, releaseIds: number[]): Promise<BundleView> {
  if (releaseIds.length === 0) throw new DomainError('invalid_input', `Name the releases to add: \`/release bundle add BUN-${bundleId} REL-12 REL-13\`.`);
  const now = ctx.clock();
  return ctx.db.transaction().execute(async (trx) => {
    const bundle = await loadBundle(trx, bundleId, true);
    const unique = [...new Set(releaseIds)];
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
    return { bundle: (await findBundle(trx, bundle.id))!, members: await bundleMembers(trx, bundle.id) };
  });
}

export async function removeFromBundle(ctx: CoreContext, actor: string, bundleId: number, releaseId: number): Promise<BundleView> {
  const now = ctx.clock();
  return ctx.db.transaction().execute(async (trx) => {
    const bundle = await loadBundle(trx, bundleId, true);
    if (bundle.state !== 'open') throw new DomainError('illegal_transition', `BUN-${bundle.id} is ${bundle.state.replace('_', ' ')}; members can only be removed while it is open.`);
    if (!(await deleteMember(trx, bundle.id, releaseId))) throw new DomainError('not_found', `REL-${releaseId} is not in BUN-${bundle.id}; nothing was removed.`);
    await bumpRevision(trx, bundle.id);
    await appendAuditEntries(trx, [{ releaseId, actor, action: 'bundle_member_removed', before: { bundle: bundle.id }, at: now }]);
    return { bundle: (await findBundle(trx, bundle.id))!, members: await bundleMembers(trx, bundle.id) };
  });
}

export async function showBundle(ctx: CoreContext, bundleId: number): Promise<BundleView> {
  const bundle = await loadBundle(ctx.db, bundleId);
  return { bundle, members: await bundleMembers(ctx.db, bundle.id) };
}

/** Each member's own approval rule, for the strictest-rule check (src/core/bundles.ts). */
async function memberRules(ctx: CoreContext, db: Transaction<DB>, members: StoredBundleMember[]): Promise<BundleMemberRule[]> {
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
  return ctx.db.transaction().execute(async (trx) => {
    const bundle = await loadBundle(trx, bundleId, true);
    if (bundle.state !== 'open') throw new DomainError('illegal_transition', `BUN-${bundle.id} is ${bundle.state.replace('_', ' ')}; only an open bundle can be approved.`);
    const members = await bundleMembers(trx, bundle.id);
    if (members.length === 0) throw new DomainError('invalid_input', `BUN-${bundle.id} has no members yet: \`/release bundle add BUN-${bundle.id} REL-12\`.`);
    const rules = await memberRules(ctx, trx, members);
    assertMayApproveBundle(rules, actor);
    if (!(await recordBundleApproval(trx, bundle.id, bundle.revision, actor, now))) {
      throw new DomainError('already_decided', `You have already approved revision ${bundle.revision} of BUN-${bundle.id}.`);
    }
    const approval = bundleApprovalState(rules, await bundleApprovals(trx, bundle.id, bundle.revision));
    await appendAuditEntries(trx, members.map((m) => ({ releaseId: m.releaseId, actor, action: 'bundle_approval_given', after: { bundle: bundle.id, revision: bundle.revision, approved: approval.approved }, at: now })));
    if (approval.approved) await setBundleState(trx, bundle.id, 'open', 'approved');
    return { bundle: (await findBundle(trx, bundle.id))!, members, approval };
  });
}
