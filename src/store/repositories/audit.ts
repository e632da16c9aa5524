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

type NewEntry = { releaseId: number | null; actor: string; action: string; before?: unknown; after?: unknown; at: Date };

/**
 * Appends entries to the chain, in order, inside the caller's transaction. The advisory lock orders
 * writers (held until commit), so each entry links to the one committed before it.
 */
export async function appendAuditEntries(trx: Transaction<DB>, entries: NewEntry[]): Promise<AuditEntry[]> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('relm:audit'))`.execute(trx);
  const last = await trx.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  const written: AuditEntry[] = [];
  for (const entry of entries) {
    const draft = { seq: ++seq, releaseId: entry.releaseId, actor: entry.actor, action: entry.action, before: normalise(entry.before), after: normalise(entry.after), at: new Date(entry.at.getTime()), prevHash };
    const hash = auditHash(draft);
    written.push({ ...draft, hash });
    prevHash = hash;
  }
  await trx
    .insertInto('audit_log')
    .values(
      written.map((e) => ({
        seq: e.seq,
        release_id: e.releaseId,
        actor: e.actor,
        action: e.action,
        before: e.before === null ? null : JSON.stringify(e.before),
        after: e.after === null ? null : JSON.stringify(e.after),
        at: e.at,
        prev_hash: e.prevHash,
        hash: e.hash,
      })),
    )
    .execute();
  return written;
}

/**
 * Appends one entry to the chain inside the caller's transaction. The advisory lock orders writers,
 * so each entry links to the one committed before it.
 */
export async function appendAudit(trx: Transaction<DB>, entry: NewEntry): Promise<AuditEntry> {
  const [written] = await appendAuditEntries(trx, [entry]);
  return written!;
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
