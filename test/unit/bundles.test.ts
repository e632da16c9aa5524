import { describe, expect, it } from 'vitest';
import { assertMayAdd, assertMayApproveBundle, bundleApprovalState, bundleLetsStart, bundleRun, memberAhead, memberProgress, nextMember, parseBundleRef, reorderAfter, rollbackOrder, type BundleMemberRule, type MemberProgress } from '../../src/core/bundles.ts';
import { assessRisk } from '../../src/core/risk.ts';

const ledger: BundleMemberRule = { releaseId: 1, owner: 'UOWNA', required: 1, eligible: new Set(['ULEAD1', 'ULEAD2', 'USRE']) };
const payments: BundleMemberRule = { releaseId: 2, owner: 'UOWNB', required: 2, eligible: new Set(['ULEAD1', 'ULEAD2', 'UOWNA']) };

describe('bundle approval: the strictest rule', () => {
  it('needs the largest count when approvers overlap', () => {
    expect(bundleApprovalState([ledger, payments], ['ULEAD1']).approved).toBe(false);
    expect(bundleApprovalState([ledger, payments], ['ULEAD1']).short).toEqual([{ releaseId: 2, missing: 1 }]);
    expect(bundleApprovalState([ledger, payments], ['ULEAD1', 'ULEAD2']).approved).toBe(true);
  });

  it('counts an approval only for the members its approver may approve', () => {
    // USRE may approve ledger only: payments still needs two of its own approvers.
    const state = bundleApprovalState([ledger, payments], ['USRE', 'ULEAD1']);
    expect(state.approved).toBe(false);
    expect(state.short).toEqual([{ releaseId: 2, missing: 1 }]);
  });

  it('ignores approvals by the owner of any member and duplicate approvals', () => {
    // UOWNA is an approver of payments but owns ledger.
    expect(bundleApprovalState([ledger, payments], ['ULEAD1', 'UOWNA', 'ULEAD1']).approved).toBe(false);
    expect(() => assertMayApproveBundle([ledger, payments], 'UOWNA')).toThrow(/own a release/);
    expect(() => assertMayApproveBundle([ledger, payments], 'UNOBODY')).toThrow(/not an approver/);
    expect(() => assertMayApproveBundle([ledger, payments], 'USRE')).not.toThrow();
  });

  it('asks the union of approvers less every owner', () => {
    expect(bundleApprovalState([ledger, payments], []).askable).toEqual(['ULEAD1', 'ULEAD2', 'USRE']);
  });

  it('an empty bundle is never approved', () => {
    expect(bundleApprovalState([], ['ULEAD1']).approved).toBe(false);
  });
});

describe('bundle membership', () => {
  const open = { id: 3, state: 'open' };
  it('refuses unknown, bundled, started releases and closed bundles', () => {
    expect(() => assertMayAdd(open, [{ releaseId: 9, missing: true }])).toThrow(/REL-9 does not exist/);
    expect(() => assertMayAdd(open, [{ releaseId: 4, state: 'draft', bundleId: 7 }])).toThrow(/in BUN-7/);
    expect(() => assertMayAdd(open, [{ releaseId: 4, state: 'approved', bundleId: null }])).toThrow(/not yet approved/);
    expect(() => assertMayAdd({ id: 3, state: 'approved' }, [{ releaseId: 4, state: 'draft', bundleId: null }])).toThrow(/only be added while it is open/);
    expect(() => assertMayAdd(open, [{ releaseId: 4, state: 'draft', bundleId: null }])).not.toThrow();
  });
  it('a bundle reference must be a bundle', () => {
    expect(parseBundleRef('BUN-12')).toBe(12);
    expect(() => parseBundleRef('REL-3')).toThrow(/is a release, not a bundle/);
    expect(() => parseBundleRef('x')).toThrow(/not a bundle id/);
  });
  it('orders members with --after', () => {
    expect(reorderAfter([1, 2, 3], 1, 3)).toEqual([2, 3, 1]);
    expect(() => reorderAfter([1, 2], 1, 1)).toThrow();
  });
});

describe('bundle rollout order', () => {
  it('starts the next member only after the previous completes', () => {
    expect(nextMember([{ releaseId: 1, position: 1, progress: 'completed' }, { releaseId: 2, position: 2, progress: 'waiting' }])).toBe(2);
    expect(nextMember([{ releaseId: 1, position: 1, progress: 'running' }, { releaseId: 2, position: 2, progress: 'waiting' }])).toBeNull();
    expect(nextMember([{ releaseId: 1, position: 1, progress: 'failed' }, { releaseId: 2, position: 2, progress: 'waiting' }])).toBeNull();
  });
  it('rolls back started members in reverse order', () => {
    expect(rollbackOrder([
      { releaseId: 1, position: 1, progress: 'completed' },
      { releaseId: 2, position: 2, progress: 'failed' },
      { releaseId: 3, position: 3, progress: 'waiting' },
    ])).toEqual([2, 1]);
  });
  it('reads each member\'s progress from its state, direction, failed wave and whether the bundle went past it', () => {
    const m = (state: string, extra: Partial<Parameters<typeof memberProgress>[0]> = {}) => memberProgress({ state: state as never, direction: 'forward', passed: false, lastStepFailed: false, ...extra });
    expect([m('draft'), m('submitted'), m('approved'), m('scheduled')]).toEqual(['waiting', 'waiting', 'waiting', 'waiting']);
    expect(m('in_progress')).toBe('running');
    expect(m('paused')).toBe('running'); // paused by hand
    expect(m('paused', { lastStepFailed: true })).toBe('failed');
    expect(m('paused', { direction: 'rollback', lastStepFailed: true })).toBe('rolling_back');
    expect(m('failed')).toBe('failed');
    expect(m('failed', { passed: true })).toBe('passed');
    expect([m('completed'), m('cancelled'), m('rolled_back')]).toEqual(['completed', 'skipped', 'rolled_back']);
  });
  it('holds the bundle on a failed member or one rolled back on its own, until it is gone past', () => {
    const member = (releaseId: number, progress: MemberProgress, passed = false) => ({ releaseId, position: releaseId, progress, passed });
    expect(bundleRun([member(1, 'completed'), member(2, 'failed'), member(3, 'waiting')])).toBe('held');
    expect(bundleRun([member(1, 'rolled_back'), member(2, 'waiting')])).toBe('held');
    expect(bundleRun([member(1, 'rolled_back', true), member(2, 'waiting')])).toBe('running');
    expect(nextMember([member(1, 'rolled_back', true), member(2, 'waiting')])).toBe(2);
    expect(bundleRun([member(1, 'waiting'), member(2, 'waiting')])).toBe('waiting');
    expect(bundleRun([member(1, 'completed'), member(2, 'passed'), member(3, 'skipped')])).toBe('completed');
    expect(memberAhead([member(1, 'completed'), member(2, 'running'), member(3, 'waiting')], 3)).toMatchObject({ releaseId: 2 });
    expect(memberAhead([member(1, 'completed'), member(2, 'skipped'), member(3, 'waiting')], 3)).toBeNull();
  });
  it('lets members start when the bundle is started, or approved and due', () => {
    const now = new Date('2030-01-01T10:00:00Z');
    expect(bundleLetsStart({ state: 'in_progress', plannedStart: null }, now)).toBe(true);
    expect(bundleLetsStart({ state: 'approved', plannedStart: null }, now)).toBe(false);
    expect(bundleLetsStart({ state: 'approved', plannedStart: new Date('2030-01-01T10:00:00Z') }, now)).toBe(true);
    expect(bundleLetsStart({ state: 'approved', plannedStart: new Date('2030-01-01T10:00:01Z') }, now)).toBe(false);
    expect(bundleLetsStart({ state: 'paused', plannedStart: null }, now)).toBe(false);
    expect(bundleLetsStart({ state: 'open', plannedStart: null }, now)).toBe(false);
  });
});

describe('bundle size as a risk factor', () => {
  const rules = { types: {}, noTestEvidence: 0, outsideWindows: 0, medium: 3, high: 6, bundle: { over: 2, points: 3 } };
  const input = { type: 'minor' as const, targets: 1, waves: 1, testEvidence: 'CI', recentFailures: 0, plannedStart: null, calendar: { timezone: 'UTC', windows: [], freezes: [] } };
  it('counts only when the bundle is bigger than the rule says', () => {
    expect(assessRisk(rules, { ...input, bundleSize: 2 }).factors).toEqual([]);
    const big = assessRisk(rules, { ...input, bundleSize: 3 });
    expect(big.level).toBe('medium');
    expect(big.factors[0]).toMatchObject({ factor: 'bundle', points: 3 });
    expect(assessRisk({ ...rules, bundle: undefined }, { ...input, bundleSize: 9 }).factors).toEqual([]);
  });
});
