import { readFileSync } from 'node:fs';
import { timeMark } from '../../src/core/text.ts';
import { parseRelmFile } from '../../src/config/relm-file.ts';
import { policyOf, serviceOf } from '../../src/core/settings.ts';
import { describe, expect, it } from 'vitest';
import { assertModel, inferType, slotWarnings, validatePlannedStart } from '../../src/core/usecases/plan.ts';
import { DomainError } from '../../src/core/errors.ts';
import { parseWindow } from '../../src/core/windows.ts';
import type { Policy } from '../../src/core/policy.ts';
import type { Settings } from '../../src/core/settings.ts';

describe('inferType', () => {
  it('defaults to minor for a first release', () => {
    expect(inferType('1.0.0', [])).toBe('minor');
    expect(inferType('0.0.1', [])).toBe('minor');
  });

  it.each([
    ['2.0.0', ['1.4.2'], 'major'],
    ['2.0.0-rc.1', ['1.4.2'], 'major'],
    ['1.5.0', ['1.4.2'], 'minor'],
    ['1.5.0-beta.1', ['1.4.2'], 'minor'],
    ['1.4.3', ['1.4.2'], 'patch'],
    ['1.4.3-rc.1', ['1.4.2'], 'patch'],
    ['1.4.3-rc.2', ['1.4.3-rc.1'], 'patch'],
  ] as const)('%s after %j is %s', (version, existing, type) => {
    expect(inferType(version, existing)).toBe(type);
  });

  it('compares with the highest existing version, not the latest in the list', () => {
    expect(inferType('2.1.0', ['2.0.0', '1.0.0', '1.9.9'])).toBe('minor');
    expect(inferType('2.0.1', ['1.0.0', '2.0.0', '1.5.0'])).toBe('patch');
  });

  it('ignores existing versions that are not semver', () => {
    expect(inferType('1.0.1', ['nightly', '1.0.0'])).toBe('patch');
    expect(inferType('1.0.1', ['nightly'])).toBe('minor');
  });

  it('defaults to minor when the new version is not semver', () => {
    expect(inferType('build-42', ['1.0.0'])).toBe('minor');
  });
});

function policy(overrides: Partial<Policy> = {}): Policy {
  return {
    name: 'standard',
    approvals: {
      minor: { required: 1, from: ['U0A'], bypassFreeze: false, passesLocks: false },
      emergency: { required: 1, from: ['U0RM'], bypassFreeze: true, passesLocks: false },
    },
    calendar: {
      timezone: 'Europe/London',
      windows: [parseWindow('Mon-Thu 09:00-16:00')],
      freezes: [{ from: '2026-12-20', to: '2027-01-03', reason: 'Holiday freeze' }],
    },
    approvalExpiresAfterMs: null,
    approvalSource: 'slack',
    requireTrainingMaterial: false,
    remindAfterMs: null,
    escalateAfterMs: null,
    workingHours: [],
    risk: null,
    conflicts: 'wait',
    highRisk: null,
    ...overrides,
  };
}

describe('slotWarnings', () => {
  it('says nothing without a planned start, or when the start is allowed', () => {
    expect(slotWarnings(policy(), 'minor', null)).toEqual([]);
    expect(slotWarnings(policy(), 'minor', undefined)).toEqual([]);
    expect(slotWarnings(policy(), 'minor', new Date('2026-11-24T10:00:00Z'))).toEqual([]);
  });

  it('warns about a start outside the windows and names the next slot', () => {
    expect(slotWarnings(policy(), 'minor', new Date('2026-11-27T10:00:00Z'))).toEqual([
      `The planned start is outside the change windows; the rollout would wait for ${timeMark(new Date('2026-11-30T09:00:00.000Z'))}.`,
    ]);
  });

  it('warns about a start in a freeze, naming the freeze and the first slot after it', () => {
    expect(slotWarnings(policy(), 'minor', new Date('2026-12-22T10:00:00Z'))).toEqual([
      `The planned start falls in the freeze "Holiday freeze" (2026-12-20 to 2027-01-03); the rollout would wait for ${timeMark(new Date('2027-01-04T09:00:00.000Z'))}.`,
    ]);
  });

  it('does not warn about a freeze for a type whose rule bypasses freezes', () => {
    expect(slotWarnings(policy(), 'emergency', new Date('2026-12-22T10:00:00Z'))).toEqual([]);
  });

  it('still warns a freeze-bypassing type about the windows', () => {
    const [warning] = slotWarnings(policy(), 'emergency', new Date('2026-12-26T10:00:00Z')); // Saturday, in the freeze
    expect(warning).toBe(`The planned start is outside the change windows; the rollout would wait for ${timeMark(new Date('2026-12-28T09:00:00.000Z'))}.`);
  });

  it('treats a type without a rule as not bypassing the freeze', () => {
    expect(slotWarnings(policy(), 'major', new Date('2026-12-22T10:00:00Z'))[0]).toContain('falls in the freeze');
  });

  it('says when no slot comes within the horizon', () => {
    const long = policy({ calendar: { timezone: 'UTC', windows: [], freezes: [{ from: '2026-01-01', to: '2027-12-31', reason: 'Forever' }] } });
    expect(slotWarnings(long, 'minor', new Date('2026-06-01T10:00:00Z'))).toEqual([
      'The planned start falls in the freeze "Forever" (2026-01-01 to 2027-12-31); the rollout would wait for a slot that does not come within 120 days.',
    ]);
  });
});

describe('validatePlannedStart', () => {
  const now = new Date('2026-11-23T10:00:00Z');

  it('accepts no start, a future start, and a start up to a minute ago', () => {
    expect(() => validatePlannedStart(null, now)).not.toThrow();
    expect(() => validatePlannedStart(new Date('2026-12-01T10:00:00Z'), now)).not.toThrow();
    expect(() => validatePlannedStart(new Date(now.getTime() - 60_000), now)).not.toThrow();
  });

  it('refuses a start in the past on the plannedStart field', () => {
    try {
      validatePlannedStart(new Date('2026-11-22T10:00:00Z'), now);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('invalid_input');
      expect((error as DomainError).field).toBe('plannedStart');
      expect((error as DomainError).message).toContain(`${timeMark(new Date('2026-11-22T10:00:00Z'))} is in the past (it is now ${timeMark(now)})`);
    }
  });
});

describe('assertModel', () => {
  const settings = { deploymentModels: { 'two-waves': {}, 'big-bang': {} } } as unknown as Settings;

  it('accepts a configured model', () => {
    expect(() => assertModel(settings, 'two-waves')).not.toThrow();
  });

  it('refuses an unknown model, listing the known ones without echoing markup', () => {
    expect(() => assertModel(settings, '<!here>')).toThrow('Unknown deployment model "!here". Models: two-waves, big-bang.');
  });
});

describe('keys a person types', () => {
  it('match only what relm.yml defines, never an object built-in', () => {
    const { settings } = parseRelmFile(readFileSync(new URL('../fixtures/relm.test.yml', import.meta.url), 'utf8'));
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(() => serviceOf(settings, key)).toThrow(/Unknown service/);
      expect(() => policyOf(settings, key)).toThrow(/Unknown service/);
      expect(() => assertModel(settings, key)).toThrow(/Unknown deployment model/);
    }
  });
});
