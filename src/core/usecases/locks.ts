import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { DEFAULT_LOCK_MS, MAX_LOCK_MS, type DeployLock } from '../locks.ts';
import { serviceOf } from '../settings.ts';
import { fragment } from '../text.ts';
import { formatDuration } from '../../config/duration.ts';
import { appendAuditEntries } from '../../store/repositories/audit.ts';
import { activeLocks, insertLock, releaseLocks } from '../../store/repositories/deploy-locks.ts';
import { enqueueOutboxByRelease } from '../../store/repositories/outbox.ts';
import { listReleasesOf } from '../../store/repositories/releases.ts';
import { assertMayLock } from './access.ts';
import { wakeEffect } from './rollout/effects.ts';
import type { OutboxMessage } from '../effect.ts';
import type { Transaction } from 'kysely';
import type { DB } from '../../store/schema.ts';

/** Every target the service's deployment models name (its own model's, and any other a release of it may use). */
export function targetsOf(ctx: CoreContext, serviceKey: string): string[] {
  const service = serviceOf(ctx.settings, serviceKey);
  const model = ctx.settings.deploymentModels[service.deploymentModel];
  return [...new Set((model?.waves ?? []).flatMap((w) => w.targets))];
}

function validateTargets(ctx: CoreContext, service: string, targets: string[]): void {
  const known = targetsOf(ctx, service);
  const unknown = targets.filter((t) => !known.includes(t));
  if (unknown.length) throw new DomainError('invalid_input', `${unknown.map((t) => `"${fragment(t, 40)}"`).join(', ')} ${unknown.length === 1 ? 'is not a target' : 'are not targets'} of ${service}. Its targets: ${known.join(', ') || 'none'}.`, { field: 'targets' });
}

/** Card refreshes for the service's live releases, so each shows the lock (or no longer does). */
async function cardRefreshes(trx: Transaction<DB>, service: string, tag: string): Promise<OutboxMessage[]> {
  const live = await listReleasesOf(trx, service, ['submitted', 'approved', 'scheduled', 'in_progress', 'paused']);
  return live.map((id) => ({ kind: 'card', releaseId: id, dedupeKey: `card:${id}:${tag}`, payload: { releaseId: id } }));
}

export interface LockInput {
  service: string;
  targets: string[];
  reason: string;
  /** How long it lasts; DEFAULT_LOCK_MS when not given, at most MAX_LOCK_MS. */
  durationMs?: number;
}

/**
 * Locks a service (or some of its targets): every wave that touches it waits until the lock is removed
 * or expires by itself. Release managers and the service's members may lock; the lock is audited.
 */
export async function lockDeploys(ctx: CoreContext, actor: string, input: LockInput): Promise<DeployLock> {
  const service = serviceOf(ctx.settings, input.service);
  validateTargets(ctx, service.key, input.targets);
  const reason = input.reason.trim();
  if (!reason) throw new DomainError('invalid_input', `Say why you lock ${service.key}: \`/release lock ${service.key} [target …] <reason> [--for 2h]\`.`, { field: 'reason' });
  const durationMs = input.durationMs ?? DEFAULT_LOCK_MS;
  if (durationMs < 60_000) throw new DomainError('invalid_input', 'A lock lasts at least a minute: give `--for` like 30m or 2h.', { field: 'for' });
  if (durationMs > MAX_LOCK_MS) throw new DomainError('invalid_input', `A lock lasts at most ${formatDuration(MAX_LOCK_MS)} (it expires by itself so none is forgotten); give \`--for\` up to ${formatDuration(MAX_LOCK_MS)}.`, { field: 'for' });
  await assertMayLock(ctx, service.key, actor);
  const now = ctx.clock();
  const { lock, outbox } = await ctx.db.transaction().execute(async (trx) => {
    const lock = await insertLock(trx, { service: service.key, targets: [...new Set(input.targets)], reason, lockedBy: actor, at: now, expiresAt: new Date(now.getTime() + durationMs) });
    await appendAuditEntries(trx, [{ releaseId: null, actor, action: 'lock_set', after: { lock: lock.id, service: lock.service, targets: lock.targets, reason: lock.reason, expiresAt: lock.expiresAt.toISOString() }, at: now }]);
    const outbox = await enqueueOutboxByRelease(trx, await cardRefreshes(trx, service.key, `lock:${lock.id}`), now);
    return { lock, outbox };
  });
  await ctx.effects.dispatch(outbox);
  return lock;
}

/**
 * Removes the service's locks in force: all of them, or with targets, those that hold any of them.
 * The rollouts they held are woken at once. Nothing in force to remove is a clear answer, not an error
 * the store sees.
 */
export async function unlockDeploys(ctx: CoreContext, actor: string, input: { service: string; targets: string[] }): Promise<DeployLock[]> {
  const service = serviceOf(ctx.settings, input.service);
  validateTargets(ctx, service.key, input.targets);
  await assertMayLock(ctx, service.key, actor);
  const now = ctx.clock();
  const { removed, outbox } = await ctx.db.transaction().execute(async (trx) => {
    const inForce = await activeLocks(trx, now, service.key);
    const chosen = input.targets.length ? inForce.filter((l) => l.targets.length === 0 || l.targets.some((t) => input.targets.includes(t))) : inForce;
    const removed = await releaseLocks(trx, chosen.map((l) => l.id), actor, now);
    if (removed.length === 0) return { removed, outbox: [] as number[][] };
    await appendAuditEntries(trx, removed.map((l) => ({ releaseId: null, actor, action: 'lock_removed', after: { lock: l.id, service: l.service, targets: l.targets, reason: l.reason }, at: now })));
    const held = await listReleasesOf(trx, service.key, ['in_progress']);
    const tag = `unlock:${removed.map((l) => l.id).join(',')}`;
    const outbox = await enqueueOutboxByRelease(trx, [...held.map((id) => ({ ...wakeEffect(id, now), dedupeKey: `wake:${id}:${tag}` })), ...(await cardRefreshes(trx, service.key, tag))], now);
    return { removed, outbox };
  });
  if (removed.length === 0) {
    const what = input.targets.length ? `${service.key} (${input.targets.join(', ')})` : service.key;
    throw new DomainError('invalid_input', `No lock is in force on ${what}; \`/release locks\` lists the locks.`);
  }
  await ctx.effects.dispatch(outbox);
  return removed;
}

/** The locks in force now, soonest to expire first. */
export async function locksInForce(ctx: CoreContext, service?: string): Promise<DeployLock[]> {
  if (service) serviceOf(ctx.settings, service);
  return activeLocks(ctx.db, ctx.clock(), service);
}
