import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, OutboxRow } from '../schema.ts';
import type { OutboxMessage } from '../../core/effect.ts';

type Db = Kysely<DB> | Transaction<DB>;


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
 * The same, with the new rows' ids grouped by release (in the order written), so each release's
 * effects run as one job and the effects of different releases run side by side.
 */
export async function enqueueOutboxByRelease(db: Db, messages: OutboxMessage[], now: Date): Promise<number[][]> {
  if (messages.length === 0) return [];
  const rows = await db
    .insertInto('outbox')
    .values(messages.map((m) => ({ kind: m.kind, release_id: m.releaseId, dedupe_key: m.dedupeKey, payload: JSON.stringify(m.payload), created_at: now })))
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning(['id', 'release_id'])
    .execute();
  const groups = new Map<number | null, number[]>();
  for (const row of [...rows].sort((a, b) => a.id - b.id)) groups.set(row.release_id, [...(groups.get(row.release_id) ?? []), row.id]);
  return [...groups.values()];
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

/** Whether an effect (of one of `kinds`, or of any kind) for the release, written before `beforeId`, is still to be done. */
export async function earlierUndone(db: Db, releaseId: number, beforeId: number, kinds?: string[]): Promise<boolean> {
  let query = db.selectFrom('outbox').select('id').where('release_id', '=', releaseId).where('id', '<', beforeId).where('state', 'in', ['pending', 'sending']);
  if (kinds) query = query.where('kind', 'in', kinds);
  const row = await query.limit(1).executeTakeFirst();
  return row !== undefined;
}

/** How long one attempt at an effect may take, by default, before another worker may take the row over. */
export const EFFECT_LEASE_MS = 60_000;

export type Claim = (OutboxRow & { previousState: string }) | 'done' | 'busy';

/**
 * Claims a row for one attempt, under a lease, so two workers never perform the same effect at once.
 * Returns the row with its state *before* the claim, so a handler can tell a first attempt ('pending')
 * from one after a failure or a crash ('sending'); 'busy' while another attempt holds the lease.
 */
export async function claimOutbox(db: Db, id: number, now: Date, leaseMs = EFFECT_LEASE_MS): Promise<Claim> {
  // Leases are reckoned on relm's clock, like every other time relm stores, never on the database's own.
  const until = new Date(now.getTime() + leaseMs);
  const result = await sql<OutboxRow & { previous_state: string; leased: boolean }>`
    WITH prev AS (SELECT id, state AS previous_state, claimed_until FROM outbox WHERE id = ${id} FOR UPDATE)
    UPDATE outbox o SET state = 'sending', attempts = o.attempts + 1, claimed_until = ${until}
    FROM prev
    WHERE o.id = prev.id
      AND (o.state = 'pending' OR (o.state = 'sending' AND (prev.claimed_until IS NULL OR prev.claimed_until < ${now})))
    RETURNING o.*, prev.previous_state`.execute(db);
  const row = result.rows[0];
  if (row) return { ...row, previousState: row.previous_state };
  const current = await db.selectFrom('outbox').select('state').where('id', '=', id).executeTakeFirst();
  return current?.state === 'sending' ? 'busy' : 'done';
}

export async function completeOutbox(db: Kysely<DB>, id: number, result: Record<string, unknown>, now: Date): Promise<void> {
  await relaxed(db, (trx) => trx.updateTable('outbox').set({ state: 'done', result: JSON.stringify(result), done_at: now, last_error: null }).where('id', '=', id).execute());
}

/** Records a failed attempt and gives the lease back, so the retry need not wait for it to run out. */
export async function failOutbox(db: Db, id: number, error: string, permanent: boolean): Promise<void> {
  await db.updateTable('outbox').set({ last_error: error.slice(0, 2000), claimed_until: null, ...(permanent ? { state: 'failed' } : {}) }).where('id', '=', id).execute();
}

/** How many stranded rows one relay pass takes at most. */
export const STRANDED_PAGE = 100;

/**
 * Rows still owed an attempt, older than `olderThan` and not leased to a running attempt: what a crash
 * between commit and enqueue left, and rows waiting between retries (or whose retries ran out). In id
 * order from `afterId`, so a caller can page through them.
 */
export async function strandedOutbox(db: Db, olderThan: Date, now: Date, page: { afterId?: number; limit?: number } = {}): Promise<number[]> {
  const rows = await db
    .selectFrom('outbox')
    .select('id')
    .where('created_at', '<', olderThan)
    .where('id', '>', page.afterId ?? 0)
    .where((eb) => eb.or([eb('state', '=', 'pending'), eb.and([eb('state', '=', 'sending'), eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)])])]))
    .orderBy('id')
    .limit(page.limit ?? STRANDED_PAGE)
    .execute();
  return rows.map((r) => r.id);
}

export async function findOutbox(db: Db, dedupeKey: string): Promise<OutboxRow | undefined> {
  return db.selectFrom('outbox').selectAll().where('dedupe_key', '=', dedupeKey).executeTakeFirst();
}
