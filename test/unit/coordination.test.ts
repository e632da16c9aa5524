import { describe, expect, it } from 'vitest';
import { conflictsOf, conflictText, findConflicts, type Occupancy } from '../../src/core/conflicts.ts';
import { assessRisk, type RiskRules } from '../../src/core/risk.ts';
import { approvalRuleFor, type Policy } from '../../src/core/policy.ts';
import { locksHolding, type DeployLock } from '../../src/core/locks.ts';
import { parseWindow } from '../../src/core/windows.ts';
import { parseRelmFile } from '../../src/config/relm-file.ts';

const at = (minutes: number) => new Date(Date.UTC(2030, 0, 7, 9, 0) + minutes * 60_000);
const span = (id: number, service: string, targets: string[], from: number, to: number): Occupancy => ({ id, service, targets, start: at(from), end: at(to) });

/** Every conflicting pair by comparing all pairs: what the sweep must agree with. */
function bruteForce(items: Occupancy[]): Set<string> {
  const pairs = new Set<string>();
  for (const a of items) for (const b of items) {
    if (a.id >= b.id) continue;
    const shared = a.service === b.service || a.targets.some((t) => b.targets.includes(t));
    if (shared && a.start < b.end && b.start < a.end) pairs.add(`${a.id}:${b.id}`);
  }
  return pairs;
}

describe('conflicts', () => {
  it('finds rollouts that overlap on the same service or a shared target, and names where', () => {
    const items = [
      span(1, 'payments', ['eu-1', 'eu-2'], 0, 90),
      span(2, 'payments', ['us-1'], 60, 120), // same service, no shared target
      span(3, 'ledger', ['eu-2'], 30, 45), // shared target eu-2 with 1
      span(4, 'ledger', ['ap-1'], 200, 260), // later: nothing
      span(5, 'search', ['eu-1'], 90, 100), // starts as 1 ends: no overlap
    ];
    const found = findConflicts(items);
    expect(found.get(1)!.map((c) => [c.other, c.where])).toEqual([[3, ['eu-2']], [2, ['payments']]]);
    expect(found.get(3)!.map((c) => c.other)).toEqual([1]);
    expect(found.has(4)).toBe(false);
    expect(found.has(5)).toBe(false);
    expect(conflictText(found.get(3)![0]!)).toBe(`overlaps REL-1 on eu-2, {{t:${at(0).getTime()}}}–{{t:${at(90).getTime()}}}`);
  });

  it('agrees with comparing every pair, on random calendars', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 20; round++) {
      const items = Array.from({ length: 150 }, (_, i) => {
        const start = Math.floor(random() * 5000);
        return span(i + 1, `s${Math.floor(random() * 8)}`, [`t${Math.floor(random() * 12)}`, `t${Math.floor(random() * 12)}`], start, start + 10 + Math.floor(random() * 200));
      });
      const found = findConflicts(items);
      const pairs = new Set<string>();
      for (const [id, list] of found) for (const c of list) pairs.add(id < c.other ? `${id}:${c.other}` : `${c.other}:${id}`);
      expect(pairs).toEqual(bruteForce(items));
    }
  });

  it('gives one release its conflicts with the others', () => {
    const mine = span(9, 'payments', ['eu-1'], 10, 40);
    expect(conflictsOf(mine, [span(1, 'ledger', ['eu-1'], 0, 20), span(2, 'ledger', ['eu-2'], 0, 60), mine]).map((c) => c.other)).toEqual([1]);
  });
});

const lock = (id: number, service: string, targets: string[]): DeployLock => ({ id, service, targets, reason: 'r', lockedBy: 'U0A', createdAt: at(0), expiresAt: at(60) });

describe('deploy locks', () => {
  it('hold the waves of their service that touch their targets; a lock without targets holds the whole service', () => {
    const locks = [lock(1, 'payments', ['eu-1']), lock(2, 'ledger', []), lock(3, 'payments', ['us-1'])];
    expect(locksHolding(locks, 'payments', ['eu-1', 'eu-2']).map((l) => l.id)).toEqual([1]);
    expect(locksHolding(locks, 'payments', ['eu-2'])).toEqual([]);
    expect(locksHolding(locks, 'ledger', ['anything']).map((l) => l.id)).toEqual([2]);
  });
});

const rules: RiskRules = {
  types: { major: 4, minor: 1 },
  targets: { over: 2, points: 2 },
  waves: { over: 2, points: 1 },
  noTestEvidence: 3,
  recentFailures: { withinMs: 30 * 86_400_000, points: 2, max: 2 },
  outsideWindows: 2,
  nearFreeze: { withinMs: 2 * 86_400_000, points: 2 },
  medium: 3,
  high: 6,
};
const calendar = { timezone: 'Europe/London', windows: [parseWindow('Mon-Thu 09:00-16:00')], freezes: [{ from: '2030-01-10', to: '2030-01-12', reason: 'Launch freeze' }] };
const base = { type: 'patch' as const, targets: 1, waves: 1, testEvidence: 'CI green', recentFailures: 0, plannedStart: at(60), calendar };

describe('risk assessment', () => {
  it('scores nothing for a small tested patch in a window, far from a freeze: low', () => {
    // Monday 7 Jan 2030 10:00 London, three days before the freeze.
    expect(assessRisk(rules, base)).toEqual({ level: 'low', score: 0, factors: [] });
  });

  it('adds up the factors it knows into medium and high', () => {
    expect(assessRisk(rules, { ...base, type: 'minor', targets: 3 }).level).toBe('medium');
    const high = assessRisk(rules, { ...base, type: 'major', targets: 5, waves: 3, testEvidence: ' ', recentFailures: 5 });
    expect(high.level).toBe('high');
    expect(high.factors.map((f) => [f.factor, f.points])).toEqual([['type', 4], ['targets', 2], ['waves', 1], ['no_test_evidence', 3], ['recent_failures', 4]]);
  });

  it('counts a start outside the windows, in a freeze, or shortly before one', () => {
    const evening = assessRisk(rules, { ...base, plannedStart: new Date('2030-01-07T19:00:00Z') });
    expect(evening.factors.map((f) => f.factor)).toEqual(['outside_windows']);
    const eve = assessRisk(rules, { ...base, plannedStart: new Date('2030-01-09T10:00:00Z') });
    expect(eve.factors).toEqual([{ factor: 'near_freeze', points: 2, detail: 'planned start less than 2d before the freeze "Launch freeze"' }]);
    const during = assessRisk(rules, { ...base, plannedStart: new Date('2030-01-10T10:00:00Z') });
    expect(during.factors.map((f) => f.detail)).toEqual(['planned start in the freeze "Launch freeze"']);
  });

  it('asks for the high_risk rule at high risk only', () => {
    const policy = { name: 'p', approvals: { minor: { required: 1, from: ['approvers'], bypassFreeze: false, passesLocks: false } }, highRisk: { required: 2, from: ['cab'] } } as unknown as Policy;
    expect(approvalRuleFor(policy, 'minor', 'medium')).toMatchObject({ required: 1, from: ['approvers'] });
    expect(approvalRuleFor(policy, 'minor', 'high')).toMatchObject({ required: 2, from: ['cab'] });
    expect(approvalRuleFor({ ...policy, highRisk: null }, 'minor', 'high')).toMatchObject({ required: 1 });
  });
});

const FILE = (policy: string) => `
services:
  api: { name: API, channel: C0API, policy: p, deployment_model: m, members: [devs, U0EXTRA] }
groups: { devs: [U0DEV1, U0DEV2], cab: [U0CAB] }
policies:
  p:
${policy}
deployment_models:
  m: { waves: [{ name: all, targets: [eu-1] }] }
`;

describe('relm.yml: risk rules, high_risk, passes_locks, conflicts, members', () => {
  it('reads them into the policy and the service', () => {
    const { settings } = parseRelmFile(FILE(`    approvals:
      minor: { required: 1, from: [devs] }
      emergency: { required: 1, from: [cab], passes_locks: true }
      high_risk: { required: 2, from: [cab] }
    conflicts: warn
    risk: { type: { major: 4 }, targets: { over: 3, points: 2 }, no_test_evidence: 3, recent_failures: { within: 14d, points: 2 }, near_freeze: { points: 1 }, high: 5 }`));
    const policy = settings.policies.p!;
    expect(policy.approvals.emergency).toMatchObject({ passesLocks: true });
    expect(policy.approvals.minor).toMatchObject({ passesLocks: false });
    expect(policy.highRisk).toEqual({ required: 2, from: ['cab'] });
    expect(policy.conflicts).toBe('warn');
    expect(policy.risk).toMatchObject({ types: { major: 4 }, noTestEvidence: 3, outsideWindows: 0, recentFailures: { withinMs: 14 * 86_400_000, points: 2 }, nearFreeze: { withinMs: 2 * 86_400_000, points: 1 }, medium: 3, high: 5 });
    expect(settings.services.api!.members).toEqual(['U0DEV1', 'U0DEV2', 'U0EXTRA']);
  });

  it('defaults to no risk rules, no high_risk rule and waiting on conflicts', () => {
    const policy = parseRelmFile(FILE('    approvals: { minor: { required: 1, from: [devs] } }')).settings.policies.p!;
    expect(policy).toMatchObject({ risk: null, highRisk: null, conflicts: 'wait' });
  });

  it('points at bad values', () => {
    expect(() => parseRelmFile(FILE(`    approvals: { minor: { required: 1, from: [devs] } }
    risk: { medium: 5, high: 4 }`))).toThrow(/policies\.p\.risk\.high: high must be a higher score than medium/);
    expect(() => parseRelmFile(FILE(`    approvals: { minor: { required: 1, from: [devs] } }
    risk: { typo: 1 }`))).toThrow(/typo/);
    expect(() => parseRelmFile(FILE(`    approvals: { minor: { required: 1, from: [devs] }, high_risk: { required: 2, from: [nobody] } }`))).toThrow(/high_risk\.from\.0: "nobody" is neither/);
    expect(() => parseRelmFile(FILE(`    approvals: { minor: { required: 1, from: [devs] } }
    conflicts: sometimes`))).toThrow(/conflicts/);
  });
});
