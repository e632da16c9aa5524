import { sql, type Kysely, type Transaction } from 'kysely';
import type { AuditRow, DB } from '../schema.ts';
import { auditHash, GENESIS_HASH, type AuditEntry } from '../../core/audit.ts';

function toEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    releaseId: row.release_id,
    actor: row.actor,
    action: row.action,
    before: row.before,
    after: row.after,
    at: row.at,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** JSON round-trip, so what is hashed is exactly what jsonb will give back. */
function normalise(value: unknown): unknown {
  return value === undefined || value === null ? null : JSON.parse(JSON.stringify(value));
}

/**
 * Appends one entry to the chain inside the caller's transaction. The advisory lock orders writers,
 * so each entry links to the one committed before it.
 */
export async function appendAudit(
  trx: Transaction<DB>,
  entry: { releaseId: number | null; actor: string; action: string; before?: unknown; after?: unknown; at: Date },
): Promise<AuditEntry> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('relm:audit'))`.execute(trx);
  const last = await trx.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  const draft = {
    seq: (last?.seq ?? 0) + 1,
    releaseId: entry.releaseId,
    actor: entry.actor,
    action: entry.action,
    before: normalise(entry.before),
    after: normalise(entry.after),
    at: new Date(entry.at.getTime()),
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  const hash = auditHash(draft);
  await trx
    .insertInto('audit_log')
    .values({
      seq: draft.seq,
      release_id: draft.releaseId,
      actor: draft.actor,
      action: draft.action,
      before: draft.before === null ? null : JSON.stringify(draft.before),
      after: draft.after === null ? null : JSON.stringify(draft.after),
      at: draft.at,
      prev_hash: draft.prevHash,
      hash,
    })
    .execute();
  return { ...draft, hash };
}

export async function auditFor(db: Kysely<DB> | Transaction<DB>, releaseId: number): Promise<AuditEntry[]> {
  const rows = await db.selectFrom('audit_log').selectAll().where('release_id', '=', releaseId).orderBy('seq').execute();
  return rows.map(toEntry);
}

/** The whole chain in pages, for verification without loading it all at once. */
export async function* auditChain(db: Kysely<DB>, pageSize = 1000): AsyncGenerator<AuditEntry> {
  let after = 0;
  for (;;) {
    const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>', after).orderBy('seq').limit(pageSize).execute();
    for (const row of rows) yield toEntry(row);
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.seq;
  }
}
