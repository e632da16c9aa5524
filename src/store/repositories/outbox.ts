import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, OutboxRow } from '../schema.ts';

type Db = Kysely<DB> | Transaction<DB>;

export interface OutboxMessage {
  kind: string;
  releaseId: number | null;
  /** Unique per side effect: the same key twice is one effect. */
  dedupeKey: string;
  payload: Record<string, unknown>;
}

/** Writes side effects to do after commit; returns the ids of rows that are new. */
export async function enqueueOutbox(db: Db, messages: OutboxMessage[], now: Date): Promise<number[]> {
  if (messages.length === 0) return [];
  const rows = await db
    .insertInto('outbox')
    .values(messages.map((m) => ({ kind: m.kind, release_id: m.releaseId, dedupe_key: m.dedupeKey, payload: JSON.stringify(m.payload), created_at: now })))
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Claims a row for one attempt. Returns the row with its state *before* the claim, so a handler can
 * tell a first attempt ('pending') from a retry after a crash ('sending'); undefined when done.
 */
export async function claimOutbox(db: Db, id: number): Promise<(OutboxRow & { previousState: string }) | undefined> {
  return claim(db, id);
}

/**
 * The "done" mark of an effect commits without waiting for the disk: if a crash loses it, the row is
 * still durably 'sending' (the claim waited for the disk), so the next attempt looks for what the last
 * one posted before posting. Release state changes keep full durability.
 */
async function relaxed<T>(db: Kysely<DB>, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL synchronous_commit TO OFF`.execute(trx);
    return work(trx);
  });
}

async function claim(db: Db, id: number): Promise<(OutboxRow & { previousState: string }) | undefined> {
  const result = await sql<OutboxRow & { previous_state: string }>`
    UPDATE outbox o SET state = 'sending', attempts = o.attempts + 1
    FROM (SELECT id, state AS previous_state FROM outbox WHERE id = ${id} FOR UPDATE) prev
    WHERE o.id = prev.id AND o.state IN ('pending', 'sending')
    RETURNING o.*, prev.previous_state`.execute(db);
  const row = result.rows[0];
  return row ? { ...row, previousState: row.previous_state } : undefined;
}

export async function completeOutbox(db: Kysely<DB>, id: number, result: Record<string, unknown>, now: Date): Promise<void> {
  await relaxed(db, (trx) => trx.updateTable('outbox').set({ state: 'done', result: JSON.stringify(result), done_at: now, last_error: null }).where('id', '=', id).execute());
}

export async function failOutbox(db: Db, id: number, error: string, permanent: boolean): Promise<void> {
  await db.updateTable('outbox').set({ last_error: error.slice(0, 2000), ...(permanent ? { state: 'failed' } : {}) }).where('id', '=', id).execute();
}

/** Rows still owed an attempt and older than `olderThan`: what a crash between commit and enqueue left. */
export async function strandedOutbox(db: Db, olderThan: Date, limit = 100): Promise<number[]> {
  const rows = await db.selectFrom('outbox').select('id').where('state', 'in', ['pending', 'sending']).where('created_at', '<', olderThan).orderBy('id').limit(limit).execute();
  return rows.map((r) => r.id);
}

export async function findOutbox(db: Db, dedupeKey: string): Promise<OutboxRow | undefined> {
  return db.selectFrom('outbox').selectAll().where('dedupe_key', '=', dedupeKey).executeTakeFirst();
}
