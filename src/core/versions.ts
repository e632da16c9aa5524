import semver from 'semver';
import { DomainError } from './errors.ts';
import { fragment } from './text.ts';
import type { ServiceSettings } from './settings.ts';

/** Validates a version for a service and returns its canonical form ("v1.2.3" becomes "1.2.3"). */
export function normaliseVersion(service: ServiceSettings, text: string): string {
  const trimmed = text.trim();
  if (service.versionScheme === 'any') {
    if (!/^[\w.+-]{1,64}$/.test(trimmed)) throw new DomainError('invalid_input', `"${fragment(trimmed)}" is not a version: use letters, digits, ".", "-", "+" or "_" (at most 64).`, { field: 'version' });
    return trimmed;
  }
  const clean = semver.valid(trimmed);
  if (!clean) throw new DomainError('invalid_input', `"${fragment(trimmed)}" is not a semantic version; ${service.key} uses versions like 1.4.2 or 2.0.0-rc.1.`, { field: 'version' });
  return clean;
}

/** A new version must be above every version the service has planned or released. */
export function assertIncreasing(service: ServiceSettings, version: string, existing: readonly string[]): void {
  if (existing.includes(version)) throw new DomainError('duplicate_version', `${service.key} ${version} is already planned; pick the next version.`, { field: 'version' });
  if (service.versionScheme === 'any') return;
  const highest = existing.filter((v) => semver.valid(v)).sort(semver.rcompare)[0];
  if (highest && !semver.gt(version, highest)) {
    throw new DomainError('version_not_increasing', `${service.key} ${version} is not above ${highest}, the highest version already planned; versions must increase.`, { field: 'version' });
  }
}
