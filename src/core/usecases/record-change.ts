import type { Transaction } from 'kysely';
import type { DB } from '../../store/schema.ts';
import { appendAudit } from '../../store/repositories/audit.ts';
import { enqueueOutbox, type OutboxMessage } from '../../store/repositories/outbox.ts';
import type { AuditEntry } from '../audit.ts';
import type { StoredRelease } from '../../store/repositories/releases.ts';

/** The facts of a release an audit entry keeps, before and after a change. */
export function snapshot(release: StoredRelease): Record<string, unknown> {
  return {
    state: release.state,
    revision: release.revision,
    version: release.version,
    type: release.type,
    title: release.title,
    risk: release.risk,
    plannedStart: release.plannedStart?.toISOString() ?? null,
    deploymentModel: release.deploymentModel,
  };
}

export interface ChangeRecord {
  audit: AuditEntry;
  outboxIds: number[];
}

/**
 * Every change to a release goes through here, inside the transaction that made it: one audit entry,
 * a refresh of the release card, a note in the card's thread, and any further effects. The effects are
 * outbox rows, so they happen after commit and survive a crash.
 */
export async function recordChange(
  trx: Transaction<DB>,
  change: { release: StoredRelease; actor: string; action: string; before?: unknown; after?: unknown; at: Date; effects?: OutboxMessage[] },
): Promise<ChangeRecord> {
  const audit = await appendAudit(trx, {
    releaseId: change.release.id,
    actor: change.actor,
    action: change.action,
    before: change.before,
    after: change.after,
    at: change.at,
  });
  const messages: OutboxMessage[] = [
    { kind: 'card', releaseId: change.release.id, dedupeKey: `card:${change.release.id}:${audit.seq}`, payload: { releaseId: change.release.id } },
    { kind: 'thread_note', releaseId: change.release.id, dedupeKey: `thread_note:${audit.seq}`, payload: { releaseId: change.release.id, auditSeq: audit.seq } },
    ...(change.effects ?? []),
  ];
  const outboxIds = await enqueueOutbox(trx, messages, change.at);
  return { audit, outboxIds };
}
