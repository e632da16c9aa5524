import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, OutboxRow } from '../schema.ts';
import type { OutboxMessage } from '../../core/effect.ts';

type Db = Kysely<DB> | Transaction<DB>;


function row(m: OutboxMessage, now: Date) {
  return { kind: m.kind, release_id: m.releaseId, dedupe_key: m.dedupeKey, payload: JSON.stringify(m.payload), created_at: now, not_before: m.notBefore ?? null };
}

/** Writes side effects to do after commit; returns the ids of rows that are new. */
export async function enqueueOutbox(db: Db, messages: OutboxMessage[], now: Date): Promise<number[]> {
  if (messages.length === 0) return [];
  const rows = await db
    .insertInto('outbox')
    .values(messages.map((m) => row(m, now)))
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
    .values(messages.map((m) => row(m, now)))
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
  // A row that waits for a moment (a reminder) is nobody's prerequisite.
  let query = db.selectFrom('outbox').select('id').where('release_id', '=', releaseId).where('id', '<', beforeId).where('state', 'in', ['pending', 'sending']).where('not_before', 'is', null);
  if (kinds) query = query.where('kind', 'in', kinds);
  const row = await query.limit(1).executeTakeFirst();
  return row !== undefined;
}

/** How long one attempt at an effect may take, by default, before another worker may take the row over. */
export const EFFECT_LEASE_MS = 60_000;

export type Claim = (OutboxRow & { previousState: string }) | 'done' | 'busy' | { deferredUntil: Date };

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
      AND (o.not_before IS NULL OR o.not_before <= ${now})
    RETURNING o.*, prev.previous_state`.execute(db);
  const row = result.rows[0];
  if (row) return { ...row, previousState: row.previous_state };
  const current = await db.selectFrom('outbox').select(['state', 'not_before']).where('id', '=', id).executeTakeFirst();
  if (current?.state === 'pending' && current.not_before && current.not_before > now) return { deferredUntil: current.not_before };
  return current?.state === 'sending' ? 'busy' : 'done';
}

export async function completeOutbox(db: Kysely<DB>, id: number, result: Record<string, unknown>, now: Date): Promise<void> {
  await relaxed(db, (trx) => trx.updateTable('outbox').set({ state: 'done', result: JSON.stringify(result), done_at: now, last_error: null }).where('id', '=', id).execute());
}

/** Records a failed attempt and gives the lease back, so the retry need not wait for it to run out. */
export async function failOutbox(db: Db, id: number, error: string, permanent: boolean): Promise<void> {
  await db.updateTable('outbox').set({ last_error: error.slice(0, 2000), claimed_until: null, ...(permanent ? { state: 'failed' } : {}) }).where('id', '=', id).execute();
}

/** Puts a claimed row back to wait until `until` (a notice held through its reader's night). */
export async function deferOutbox(db: Db, id: number, until: Date): Promise<void> {
  await db.updateTable('outbox').set({ state: 'pending', not_before: until, claimed_until: null }).where('id', '=', id).where('state', '=', 'sending').execute();
}

/**
 * Withdraws a release's effects still waiting for their moment whose keys start with `keyPrefix` (the
 * reminders of a start that moved or was cancelled); returns their ids so their jobs can be removed.
 */
export async function withdrawDeferred(db: Db, releaseId: number, keyPrefix: string): Promise<number[]> {
  const rows = await db
    .updateTable('outbox')
    .set({ state: 'withdrawn', done_at: null })
    .where('release_id', '=', releaseId)
    .where('state', '=', 'pending')
    .where('not_before', 'is not', null)
    .where('dedupe_key', 'like', `${keyPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** How many stranded rows one relay pass takes at most. */
export const STRANDED_PAGE = 100;

/**
 * Rows still owed an attempt, older than `olderThan` and not leased to a running attempt: what a crash
 * between commit and enqueue left, and rows waiting between retries (or whose retries ran out). In id
 * order from `afterId`, so a caller can page through them.
 */
export async function strandedOutbox(db: Db, olderThan: Date, now: Date, page: { afterId?: number; limit?: number } = {}): Promise<{ id: number; kind: string; deferred: boolean }[]> {
  const rows = await db
    .selectFrom('outbox')
    .select(['id', 'kind', sql<boolean>`not_before IS NOT NULL`.as('deferred')])
    .where('created_at', '<', olderThan)
    .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', now)]))
    .where('id', '>', page.afterId ?? 0)
    .where((eb) => eb.or([eb('state', '=', 'pending'), eb.and([eb('state', '=', 'sending'), eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)])])]))
    .orderBy('id')
    .limit(page.limit ?? STRANDED_PAGE)
    .execute();
  return rows;
}

export async function findOutbox(db: Db, dedupeKey: string): Promise<OutboxRow | undefined> {
  return db.selectFrom('outbox').selectAll().where('dedupe_key', '=', dedupeKey).executeTakeFirst();
}

/** A page of rows not yet done (pending, or sending under any lease), deferred ones with their moment. */
export async function unfinishedOutbox(db: Db, page: { afterId?: number; limit?: number } = {}): Promise<{ id: number; kind: string; notBefore: Date | null }[]> {
  const rows = await db
    .selectFrom('outbox')
    .select(['id', 'kind', 'not_before'])
    .where('state', 'in', ['pending', 'sending'])
    .where('id', '>', page.afterId ?? 0)
    .orderBy('id')
    .limit(page.limit ?? 1_000)
    .execute();
  return rows.map((r) => ({ id: r.id, kind: r.kind, notBefore: r.not_before ? new Date(r.not_before) : null }));
}

const ENDED_RELEASE_STATES = ['completed', 'failed', 'rolled_back', 'cancelled', 'rejected'] as const;

/**
 * The wake-ups already handed to the queue and still to come: performed `wake` rows whose time is at
 * or after `from`, of releases that have not ended. Their jobs live only in Redis.
 */
export async function wakeUpsFrom(db: Db, from: Date): Promise<{ releaseId: number; at: Date }[]> {
  const rows = await db
    .selectFrom('outbox')
    .innerJoin('releases', 'releases.id', 'outbox.release_id')
    .select(['outbox.release_id', sql<string>`outbox.payload->>'at'`.as('at')])
    .where('outbox.kind', '=', 'wake')
    .where('outbox.state', '=', 'done')
    .where('releases.state', 'not in', [...ENDED_RELEASE_STATES])
    .where(sql<boolean>`(outbox.payload->>'at')::timestamptz >= ${from}`)
    .execute();
  const unique = new Map<string, { releaseId: number; at: Date }>();
  for (const r of rows) unique.set(`${r.release_id}:${r.at}`, { releaseId: r.release_id!, at: new Date(r.at) });
  return [...unique.values()];
}

/** How many rows are still to do: due now (or with no moment of their own) and deferred to a later moment. */
export async function outboxBacklog(db: Db, now: Date): Promise<{ due: number; deferred: number }> {
  const row = await db
    .selectFrom('outbox')
    .select([sql<number>`count(*) FILTER (WHERE not_before IS NULL OR not_before <= ${now})::int`.as('due'), sql<number>`count(*) FILTER (WHERE not_before > ${now})::int`.as('deferred')])
    .where('state', 'in', ['pending', 'sending'])
    .executeTakeFirstOrThrow();
  return { due: row.due, deferred: row.deferred };
}
