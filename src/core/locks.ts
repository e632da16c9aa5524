import { fragment, timeMark, whoMark } from './text.ts';

/** How long a lock lasts when `--for` is not given, and the longest one may last: locks expire by themselves. */
export const DEFAULT_LOCK_MS = 4 * 3_600_000;
export const MAX_LOCK_MS = 7 * 86_400_000;

/** A deploy lock: no wave of the service (or of these targets of it) starts while it is in force. */
export interface DeployLock {
  id: number;
  service: string;
  /** The targets it holds; empty holds every target of the service. */
  targets: string[];
  reason: string;
  lockedBy: string;
  createdAt: Date;
  expiresAt: Date;
}

/** The locks among `locks` that hold a wave of `service` on `targets` (any of them). */
export function locksHolding(locks: readonly DeployLock[], service: string, targets: readonly string[]): DeployLock[] {
  return locks.filter((l) => l.service === service && (l.targets.length === 0 || l.targets.some((t) => targets.includes(t))));
}

/** "payments (eu-1) locked by @alice until <time>: DB migration", marks left for the edge. */
export function lockText(lock: DeployLock): string {
  const where = lock.targets.length ? `${lock.service} (${lock.targets.join(', ')})` : lock.service;
  return `${where} locked by ${whoMark(lock.lockedBy)} until ${timeMark(lock.expiresAt)}: ${fragment(lock.reason, 200)}`;
}
