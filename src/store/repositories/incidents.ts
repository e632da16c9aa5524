import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../schema.ts';

type Db = Kysely<DB> | Transaction<DB>;

export interface Incident {
  ref: string;
  source: 'slack' | 'jira';
  recordedBy: string;
  recordedAt: Date;
  /** When it was resolved (in Jira, or by `/release incident resolve`), or null while it is open. */
  resolvedAt?: Date | null;
}

/** Records an incident once per release and ref; returns false when it was recorded already. */
export async function insertIncident(db: Db, releaseId: number, incident: Incident): Promise<boolean> {
  const inserted = await db
    .insertInto('incidents')
    .values({ release_id: releaseId, ref: incident.ref, source: incident.source, recorded_by: incident.recordedBy, recorded_at: incident.recordedAt })
    .onConflict((oc) => oc.constraint('incidents_once_per_release').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Forgets an incident (one Jira unlinked); returns false when there was none. */
export async function removeIncident(db: Db, releaseId: number, ref: string, source: Incident['source']): Promise<boolean> {
  const removed = await db.deleteFrom('incidents').where('release_id', '=', releaseId).where('ref', '=', ref).where('source', '=', source).returning('id').executeTakeFirst();
  return removed !== undefined;
}

export async function incidentsOf(db: Db, releaseId: number): Promise<Incident[]> {
  const rows = await db.selectFrom('incidents').selectAll().where('release_id', '=', releaseId).orderBy('recorded_at').orderBy('id').execute();
  return rows.map((r) => ({ ref: r.ref, source: r.source, recordedBy: r.recorded_by, recordedAt: r.recorded_at, resolvedAt: r.resolved_at }));
}

/** An incident as its resolution left it; `changed` is false when it had been resolved before. */
export interface ResolvedIncident {
  ref: string;
  recordedAt: Date;
  resolvedAt: Date;
  changed: boolean;
}

/**
 * Marks a release's incident resolved at `at`, once: the ref in any case, never before the incident was
 * recorded (the time to restore is never negative). Undefined when the release has no such incident.
 */
export async function resolveIncident(trx: Transaction<DB>, releaseId: number, ref: string, at: Date): Promise<ResolvedIncident | undefined> {
  const row = await trx
    .selectFrom('incidents')
    .select(['id', 'ref', 'recorded_at', 'resolved_at'])
    .where('release_id', '=', releaseId)
    .where(sql<string>`upper(ref)`, '=', ref.toUpperCase())
    // An open one first, should the same ref be recorded twice in different case.
    .orderBy(sql`resolved_at IS NOT NULL`)
    .orderBy('id')
    .forUpdate()
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.resolved_at) return { ref: row.ref, recordedAt: row.recorded_at, resolvedAt: row.resolved_at, changed: false };
  const resolvedAt = new Date(Math.max(at.getTime(), row.recorded_at.getTime()));
  await trx.updateTable('incidents').set({ resolved_at: resolvedAt }).where('id', '=', row.id).execute();
  return { ref: row.ref, recordedAt: row.recorded_at, resolvedAt, changed: true };
}

/** The releases with an open (or a resolved) incident of this ref (a Jira key), in any case. */
export async function incidentsByRef(db: Db, ref: string, which: 'open' | 'resolved'): Promise<{ releaseId: number; ref: string }[]> {
  const rows = await db
    .selectFrom('incidents')
    .select(['release_id', 'ref'])
    .where(sql<string>`upper(ref)`, '=', ref.toUpperCase())
    .where('resolved_at', which === 'open' ? 'is' : 'is not', null)
    .orderBy('release_id')
    .execute();
  return rows.map((r) => ({ releaseId: r.release_id, ref: r.ref }));
}

/**
 * Marks a release's resolved incident of this ref open again, so that its time to restore runs to its
 * next resolution. Undefined when it has no such incident, or it is open already.
 */
export async function reopenIncident(trx: Transaction<DB>, releaseId: number, ref: string): Promise<{ ref: string; resolvedAt: Date } | undefined> {
  const row = await trx
    .selectFrom('incidents')
    .select(['id', 'ref', 'resolved_at'])
    .where('release_id', '=', releaseId)
    .where(sql<string>`upper(ref)`, '=', ref.toUpperCase())
    .where('resolved_at', 'is not', null)
    .orderBy('id')
    .forUpdate()
    .executeTakeFirst();
  if (!row?.resolved_at) return undefined;
  await trx.updateTable('incidents').set({ resolved_at: null }).where('id', '=', row.id).execute();
  return { ref: row.ref, resolvedAt: row.resolved_at };
}
