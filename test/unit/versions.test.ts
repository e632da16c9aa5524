import { describe, expect, it } from 'vitest';
import { assertIncreasing, normaliseVersion } from '../../src/core/versions.ts';
import { DomainError } from '../../src/core/errors.ts';
import type { ServiceSettings } from '../../src/core/settings.ts';

function service(versionScheme: 'semver' | 'any' = 'semver'): ServiceSettings {
  return { key: 'payments', name: 'Payments API', channel: 'C0PAY', audience: [], policy: 'standard', deploymentModel: 'two-waves', versionScheme, notify: { beforeMs: [], quietHours: { fromMinute: 1200, toMinute: 480 } }, members: [] };
}

function caught(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a DomainError');
}

describe('normaliseVersion (semver)', () => {
  it.each([
    ['1.2.3', '1.2.3'],
    ['v1.2.3', '1.2.3'],
    ['  2.0.0  ', '2.0.0'],
    ['2.0.0-rc.1', '2.0.0-rc.1'],
  ])('accepts %j as %j', (input, expected) => {
    expect(normaliseVersion(service(), input)).toBe(expected);
  });

  it('drops build metadata, which semver ignores when ordering versions', () => {
    expect(normaliseVersion(service(), '1.0.0+build.7')).toBe('1.0.0');
  });

  it.each(['1.2', 'latest', '', '1.2.3.4', '01.2.3', 'v', '1.2.x'])('rejects %j with invalid_input on the version field', (input) => {
    const error = caught(() => normaliseVersion(service(), input));
    expect(error.code).toBe('invalid_input');
    expect(error.field).toBe('version');
    expect(error.message).toContain('is not a semantic version; payments uses versions like 1.4.2');
  });

  it('quotes the bad version without chat markup', () => {
    const error = caught(() => normaliseVersion(service(), '<!channel> & co'));
    expect(error.message).not.toMatch(/[<>&]/);
    expect(error.message).toContain('!channel');
  });
});

describe('normaliseVersion (any)', () => {
  it('keeps free-form versions as written (trimmed)', () => {
    expect(normaliseVersion(service('any'), ' 2026.11.23-build_7 ')).toBe('2026.11.23-build_7');
    expect(normaliseVersion(service('any'), 'v1.2')).toBe('v1.2');
    expect(normaliseVersion(service('any'), 'a'.repeat(64))).toBe('a'.repeat(64));
  });

  it.each(['', 'two words', 'a/b', 'a'.repeat(65), '<@U123>'])('rejects %j', (input) => {
    const error = caught(() => normaliseVersion(service('any'), input));
    expect(error.code).toBe('invalid_input');
    expect(error.field).toBe('version');
    expect(error.message).not.toMatch(/[<>]/);
  });
});

describe('assertIncreasing', () => {
  it('accepts the first version and any version above the highest so far', () => {
    expect(() => assertIncreasing(service(), '1.0.0', [])).not.toThrow();
    expect(() => assertIncreasing(service(), '1.3.0', ['1.2.0', '1.0.0', '1.2.9'])).not.toThrow();
    expect(() => assertIncreasing(service(), '2.0.0', ['2.0.0-rc.2', '1.9.0'])).not.toThrow();
  });

  it('refuses a version already planned with duplicate_version', () => {
    const error = caught(() => assertIncreasing(service(), '1.2.0', ['1.2.0', '1.1.0']));
    expect(error.code).toBe('duplicate_version');
    expect(error.field).toBe('version');
    expect(error.message).toBe('payments 1.2.0 is already planned; pick the next version.');
  });

  it('refuses a version below the highest, naming the highest', () => {
    const error = caught(() => assertIncreasing(service(), '1.1.5', ['1.0.0', '1.2.0', '1.1.0']));
    expect(error.code).toBe('version_not_increasing');
    expect(error.field).toBe('version');
    expect(error.message).toContain('1.1.5 is not above 1.2.0');
  });

  it('compares numerically, not as text', () => {
    expect(() => assertIncreasing(service(), '1.10.0', ['1.9.0'])).not.toThrow();
    expect(() => assertIncreasing(service(), '1.9.0', ['1.10.0'])).toThrow(/not above 1\.10\.0/);
  });

  it('treats a pre-release as below its release', () => {
    expect(caught(() => assertIncreasing(service(), '1.2.0-rc.1', ['1.2.0'])).code).toBe('version_not_increasing');
  });

  it('treats versions differing only in build metadata as not increasing', () => {
    expect(caught(() => assertIncreasing(service(), '1.2.0+2', ['1.2.0+1'])).code).toBe('version_not_increasing');
  });

  it('ignores stored versions that are not semver', () => {
    expect(() => assertIncreasing(service(), '0.1.0', ['legacy-build'])).not.toThrow();
  });

  it('with scheme any, only refuses duplicates', () => {
    expect(() => assertIncreasing(service('any'), 'build-1', ['build-2', '9.9.9'])).not.toThrow();
    expect(caught(() => assertIncreasing(service('any'), 'build-2', ['build-2'])).code).toBe('duplicate_version');
  });
});
