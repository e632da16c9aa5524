import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../schema.ts';

type Db = Kysely<DB> | Transaction<DB>;

export interface Incident {
  ref: string;
  source: 'slack' | 'jira';
  recordedBy: string;
  recordedAt: Date;
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
  return rows.map((r) => ({ ref: r.ref, source: r.source, recordedBy: r.recorded_by, recordedAt: r.recorded_at }));
}
