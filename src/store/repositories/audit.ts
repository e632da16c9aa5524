import { sql, type Kysely, type Transaction } from 'kysely';
import type { AuditRow, DB } from '../schema.ts';
import { auditHash, chainKey, GENESIS_HASH, type AuditEntry } from '../../core/audit.ts';
import { isEmbedded } from '../database.ts';

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
 * Appends entries to their chains, in order, inside the caller's transaction, in three statements
 * however many chains are touched (a batch of rollout ticks writes to many). The advisory locks order
 * the writers of each chain (held until commit), so each entry links to the one committed before it;
 * they are taken in one sorted order, so two writers of overlapping chains cannot deadlock.
 */
export async function appendAuditEntries(trx: Transaction<DB>, entries: NewEntry[]): Promise<AuditEntry[]> {
  const keys = [...new Set(entries.map((e) => chainKey(e)))].sort();
  // Writers of one chain queue here; others pass. unnest keeps the array's (sorted) order.
  await sql`SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(${keys.map((k) => `relm:audit:${k}`)}::text[]) AS k`.execute(trx);
  // A statement after the locks, so its snapshot sees every entry committed before them.
  const releaseIds = [...new Set(entries.flatMap((e) => (e.releaseId === null ? [] : [e.releaseId])))];
  const global = entries.some((e) => e.releaseId === null);
  const found = await sql<{ heads: { release_id: number; hash: string }[] | null; global_head: string | null; seqs: number[] }>`
    SELECT
      (SELECT json_agg(h) FROM (SELECT DISTINCT ON (release_id) release_id, hash FROM audit_log WHERE release_id = ANY(${releaseIds}::int[]) ORDER BY release_id, seq DESC) h) AS heads,
      ${global ? sql`(SELECT hash FROM audit_log WHERE release_id IS NULL ORDER BY seq DESC LIMIT 1)` : sql`NULL::text`} AS global_head,
      (SELECT array_agg(nextval('audit_log_seq')::int) FROM generate_series(1, ${entries.length})) AS seqs`.execute(trx);
  const row = found.rows[0]!;
  const heads = new Map<string, string>(keys.map((k) => [k, GENESIS_HASH]));
  for (const head of row.heads ?? []) heads.set(chainKey({ releaseId: head.release_id }), head.hash);
  if (row.global_head) heads.set('global', row.global_head);
  const seqs = [...row.seqs].map(Number).sort((a, b) => a - b);
  const written: AuditEntry[] = entries.map((entry, i) => {
    const key = chainKey(entry);
    const draft = { seq: seqs[i]!, releaseId: entry.releaseId, actor: entry.actor, action: entry.action, before: normalise(entry.before), after: normalise(entry.after), at: new Date(entry.at.getTime()), prevHash: heads.get(key)! };
    const hash = auditHash(draft);
    heads.set(key, hash);
    return { ...draft, hash };
  });
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

/**
 * The whole chain in pages, for verification without loading it all at once, every page from one
 * snapshot. A seq is drawn before its transaction commits and only its own chain is locked, so entries
 * of different chains commit out of seq order: pages read at different moments could pass over an entry
 * still in flight and then meet the next entry of its chain, which links to it, and a busy log would
 * look tampered with.
 */
export async function* auditChain(db: Kysely<DB>, pageSize = 1000): AsyncGenerator<AuditEntry> {
  // PGlite runs one transaction at a time, so its pages are consistent as they are, and a transaction
  // held for the whole read would stop every other query of the process until the last hash is checked.
  if (isEmbedded(db)) {
    yield* auditPages(db, pageSize);
    return;
  }
  const trx = await db.startTransaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute();
  try {
    yield* auditPages(trx, pageSize);
  } finally {
    // Read only, so ending it changes nothing; a reader that stops early gives the connection back too,
    // and a rollback on a connection already lost must not hide the error that lost it.
    await trx.rollback().execute().catch(() => {});
  }
}

async function* auditPages(db: Kysely<DB>, pageSize: number): AsyncGenerator<AuditEntry> {
  let after = 0;
  for (;;) {
    const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>', after).orderBy('seq').limit(pageSize).execute();
    for (const row of rows) yield toEntry(row);
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.seq;
  }
}

export async function latestAuditSeq(db: Kysely<DB>, releaseId: number): Promise<number> {
  const row = await db.selectFrom('audit_log').select((eb) => eb.fn.max('seq').as('seq')).where('release_id', '=', releaseId).executeTakeFirst();
  return Number(row?.seq ?? 0);
}

export async function auditEntries(db: Kysely<DB>, releaseId: number, seqs: number[]): Promise<AuditEntry[]> {
  if (seqs.length === 0) return [];
  const rows = await db.selectFrom('audit_log').selectAll().where('release_id', '=', releaseId).where('seq', 'in', seqs).orderBy('seq').execute();
  return rows.map(toEntry);
}

/** The newest entry of `action` whose `after.<field>` is `value` (a decision recorded for one delivery). */
export async function auditEntryWith(db: Kysely<DB> | Transaction<DB>, action: string, field: string, value: string): Promise<AuditEntry | undefined> {
  const row = await db.selectFrom('audit_log').selectAll().where('action', '=', action).where(sql<string>`after->>${field}`, '=', value).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? toEntry(row) : undefined;
}
