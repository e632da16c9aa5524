import { DomainError } from './errors.ts';
import type { ReleaseState } from './release.ts';

/**
 * A bundle (release train): releases shipped as one unit under one approval request.
 *
 * The strictest rule: the bundle is approved only when EVERY member's own rule is met by the bundle's
 * approvals. An approval counts for a member when the approver is one of that member's eligible
 * approvers; a member needing 2 from `leads` is met only by 2 leads, whatever other members need.
 * Where all members share one approver set this is simply the maximum of their required counts.
 * The request goes to the union of the members' approvers; nobody who owns (requested) any member may
 * approve the bundle, since an approval covers every member, their own included.
 */
export interface BundleMemberRule {
  releaseId: number;
  owner: string;
  required: number;
  eligible: ReadonlySet<string>;
}

export interface BundleApprovalState {
  approved: boolean;
  /** Per member, how many more approvals from its approvers it needs (only members still short). */
  short: { releaseId: number; missing: number }[];
  /** Who the request goes to: every member's approvers, less every member's owner. */
  askable: string[];
}

export function bundleOwners(members: readonly BundleMemberRule[]): Set<string> {
  return new Set(members.map((m) => m.owner));
}

/** Refuses an approval from someone who owns any member or who is eligible for no member. */
export function assertMayApproveBundle(members: readonly BundleMemberRule[], approver: string): void {
  if (bundleOwners(members).has(approver)) {
    throw new DomainError('self_approval', 'You own a release in this bundle, so you cannot approve the bundle.');
  }
  if (!members.some((m) => m.eligible.has(approver))) {
    throw new DomainError('not_authorised', 'You are not an approver for any release in this bundle.');
  }
}

export function bundleApprovalState(members: readonly BundleMemberRule[], approvals: readonly string[]): BundleApprovalState {
  const owners = bundleOwners(members);
  const valid = [...new Set(approvals)].filter((a) => !owners.has(a));
  const short = members
    .map((m) => ({ releaseId: m.releaseId, missing: Math.max(0, m.required - valid.filter((a) => m.eligible.has(a)).length) }))
    .filter((s) => s.missing > 0);
  const askable = new Set<string>();
  for (const m of members) for (const u of m.eligible) if (!owners.has(u)) askable.add(u);
  return { approved: members.length > 0 && short.length === 0, short, askable: [...askable].sort() };
}

/** The states in which a release may still join or leave a bundle: not yet approved or started. */
const JOINABLE: readonly ReleaseState[] = ['draft', 'submitted', 'scheduled'];
export const OPEN_BUNDLE_STATES = ['open'] as const;

export interface MemberCandidate {
  releaseId: number;
  state: ReleaseState;
  /** The bundle the release is in already, if any. */
  bundleId: number | null;
}

/** Checks a set of releases may be added to a bundle; refuses the whole set on any fault. */
export function assertMayAdd(bundle: { id: number; state: string }, candidates: readonly (MemberCandidate | { releaseId: number; missing: true })[]): void {
  if (bundle.state !== 'open') {
    throw new DomainError('illegal_transition', `BUN-${bundle.id} is ${bundle.state.replace('_', ' ')}; members can only be added while it is open (not yet approved or started).`);
  }
  for (const c of candidates) {
    if ('missing' in c) throw new DomainError('not_found', `REL-${c.releaseId} does not exist; nothing was added.`, { field: 'releases' });
    if (c.bundleId === bundle.id) throw new DomainError('invalid_input', `REL-${c.releaseId} is already in BUN-${bundle.id}; nothing was added.`);
    if (c.bundleId !== null) throw new DomainError('conflict', `REL-${c.releaseId} is in BUN-${c.bundleId}; a release can be in one bundle only. Nothing was added.`);
    if (!JOINABLE.includes(c.state)) throw new DomainError('illegal_transition', `REL-${c.releaseId} is ${c.state.replace('_', ' ')}; only releases not yet approved or started can join a bundle. Nothing was added.`);
  }
}

/** Parses a bundle reference `BUN-n` (or `n`). A `REL-n` given where a bundle is wanted is refused. */
export function parseBundleRef(text: string): number {
  const m = /^(?:BUN-)?(\d{1,9})$/i.exec(text.trim());
  if (!m) {
    if (/^REL-\d+$/i.test(text.trim())) throw new DomainError('invalid_input', `${text.trim()} is a release, not a bundle; a bundle cannot contain itself or be added to another. Use a BUN-n id.`);
    throw new DomainError('invalid_input', `"${text.trim()}" is not a bundle id; write BUN-n.`);
  }
  return Number(m[1]);
}

/** A member's rollout as the store has it (see memberRollouts). */
export interface MemberRollout {
  releaseId: number;
  position: number;
  state: ReleaseState;
  direction: 'forward' | 'rollback';
  /** The bundle was told to go on past it (`bundle continue`) after it failed. */
  passed: boolean;
  /** Its latest live step failed: a failed wave leaves a release paused, waiting for a decision. */
  lastStepFailed: boolean;
  service: string;
  version: string;
  requester: string;
}

/**
 * Where a member stands in its bundle's run: `failed` holds the bundle until someone retries it, goes past
 * it or rolls the bundle back; `passed` is a failed member the bundle went past; `skipped` one cancelled
 * before it started.
 */
export type MemberProgress = 'waiting' | 'running' | 'failed' | 'passed' | 'skipped' | 'completed' | 'rolling_back' | 'rolled_back';

export function memberProgress(m: Pick<MemberRollout, 'state' | 'direction' | 'passed' | 'lastStepFailed'>): MemberProgress {
  switch (m.state) {
    case 'rolled_back':
      return 'rolled_back';
    case 'cancelled':
      return 'skipped';
    case 'completed':
      return 'completed';
    case 'failed':
      return m.passed ? 'passed' : 'failed';
    case 'in_progress':
    case 'paused':
      if (m.direction === 'rollback') return 'rolling_back';
      return m.state === 'paused' && m.lastStepFailed ? 'failed' : 'running';
    default:
      return 'waiting';
  }
}

export interface BundleMemberProgress {
  releaseId: number;
  position: number;
  progress: MemberProgress;
  /** The bundle was told to go on past it (a member rolled back on its own may be gone past too). */
  passed?: boolean;
}

export function progressOf(members: readonly MemberRollout[]): BundleMemberProgress[] {
  return members.map((m) => ({ releaseId: m.releaseId, position: m.position, progress: memberProgress(m), passed: m.passed }));
}

/** Done with, as far as the members after it are concerned. */
const DONE: ReadonlySet<MemberProgress> = new Set(['completed', 'passed', 'skipped']);
const BEHIND = { has: (m: BundleMemberProgress) => DONE.has(m.progress) || (m.progress === 'rolled_back' && m.passed === true) };

/** Holds a bundle going forward: a failed member, or one rolled back on its own that nobody went past yet. */
export function holdsBundle(m: BundleMemberProgress): boolean {
  return m.progress === 'failed' || (m.progress === 'rolled_back' && !m.passed);
}

/** The next member to start: the first not yet done with, once every earlier one is. */
export function nextMember(members: readonly BundleMemberProgress[]): number | null {
  for (const m of [...members].sort((a, b) => a.position - b.position)) {
    if (BEHIND.has(m)) continue;
    return m.progress === 'waiting' ? m.releaseId : null;
  }
  return null;
}

/** The earliest member still ahead of `releaseId` in the run, or null when it is its turn. */
export function memberAhead(members: readonly BundleMemberProgress[], releaseId: number): BundleMemberProgress | null {
  const me = members.find((m) => m.releaseId === releaseId);
  if (!me) return null;
  return [...members].sort((a, b) => a.position - b.position).find((m) => m.position < me.position && !BEHIND.has(m)) ?? null;
}

/** Rolling a bundle back rolls back its started members, the last started first. */
export function rollbackOrder(members: readonly BundleMemberProgress[]): number[] {
  return [...members]
    .filter((m) => m.progress === 'running' || m.progress === 'completed' || m.progress === 'failed' || m.progress === 'passed' || m.progress === 'rolling_back')
    .sort((a, b) => b.position - a.position)
    .map((m) => m.releaseId);
}

export type BundleRun = 'waiting' | 'running' | 'held' | 'completed';

/** What the members' progress makes of a bundle going forward: held by a failed member, or done. */
export function bundleRun(members: readonly BundleMemberProgress[]): BundleRun {
  if (members.some(holdsBundle)) return 'held';
  if (members.length > 0 && members.every((m) => BEHIND.has(m))) return 'completed';
  if (members.some((m) => m.progress !== 'waiting')) return 'running';
  return 'waiting';
}

/** The bundle states in which its members may start (each in its turn). */
export function bundleLetsStart(bundle: { state: string; plannedStart: Date | null }, now: Date): boolean {
  return bundle.state === 'in_progress' || (bundle.state === 'approved' && bundle.plannedStart !== null && bundle.plannedStart <= now);
}

/** Moves `releaseId` to just after `afterId` in the member order (`--after REL-n`). */
export function reorderAfter(order: readonly number[], releaseId: number, afterId: number): number[] {
  if (releaseId === afterId) throw new DomainError('invalid_input', `REL-${releaseId} cannot run after itself.`);
  if (!order.includes(releaseId) || !order.includes(afterId)) throw new DomainError('invalid_input', `Both REL-${releaseId} and REL-${afterId} must be members of the bundle.`);
  const rest = order.filter((id) => id !== releaseId);
  rest.splice(rest.indexOf(afterId) + 1, 0, releaseId);
  return rest;
}
