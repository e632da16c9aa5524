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

/** A Jira event older than the newest one taken for the incident: it changes nothing. */
export interface StaleJiraEvent {
  ref: string;
  stale: { event: Date; newest: Date };
}

/**
 * When a Jira event at `eventAt` is older than the newest one taken for this incident. One as old is
 * taken: Jira's times are milliseconds, and a redelivery of the same event is caught by its delivery id.
 */
function staleness(row: { ref: string; jira_event_at: Date | null }, eventAt: Date | undefined): StaleJiraEvent | undefined {
  if (!eventAt || !row.jira_event_at || row.jira_event_at.getTime() <= eventAt.getTime()) return undefined;
  return { ref: row.ref, stale: { event: eventAt, newest: row.jira_event_at } };
}

/** The newest Jira event time, kept on the incident whatever the event did. */
function newestEvent(row: { jira_event_at: Date | null }, eventAt: Date | undefined): Date | null {
  if (!eventAt) return row.jira_event_at;
  return row.jira_event_at && row.jira_event_at.getTime() > eventAt.getTime() ? row.jira_event_at : eventAt;
}

/**
 * A release's incident of this ref, in any case, locked for the change: the `first` kind (open or
 * resolved) before the other, should the same ref be recorded twice in different case.
 */
function lockIncident(trx: Transaction<DB>, releaseId: number, ref: string, first: 'open' | 'resolved') {
  return trx
    .selectFrom('incidents')
    .select(['id', 'ref', 'recorded_at', 'resolved_at', 'jira_event_at'])
    .where('release_id', '=', releaseId)
    .where(sql<string>`upper(ref)`, '=', ref.toUpperCase())
    .orderBy(first === 'open' ? sql`resolved_at IS NOT NULL` : sql`resolved_at IS NULL`)
    .orderBy('id')
    .forUpdate()
    .executeTakeFirst();
}

/**
 * Marks a release's incident resolved at `at`, once: the ref in any case, never before the incident was
 * recorded (the time to restore is never negative). Undefined when the release has no such incident.
 * With `jiraEventAt` (the time of the Jira event that says so), an event older than the newest one
 * taken for the incident changes nothing, and a newer one is remembered even when it changes nothing.
 */
export async function resolveIncident(trx: Transaction<DB>, releaseId: number, ref: string, at: Date, jiraEventAt?: Date): Promise<ResolvedIncident | StaleJiraEvent | undefined> {
  const row = await lockIncident(trx, releaseId, ref, 'open');
  if (!row) return undefined;
  const stale = staleness(row, jiraEventAt);
  if (stale) return stale;
  const jira_event_at = newestEvent(row, jiraEventAt);
  if (row.resolved_at) {
    if (jira_event_at !== row.jira_event_at) await trx.updateTable('incidents').set({ jira_event_at }).where('id', '=', row.id).execute();
    return { ref: row.ref, recordedAt: row.recorded_at, resolvedAt: row.resolved_at, changed: false };
  }
  const resolvedAt = new Date(Math.max(at.getTime(), row.recorded_at.getTime()));
  await trx.updateTable('incidents').set({ resolved_at: resolvedAt, jira_event_at }).where('id', '=', row.id).execute();
  return { ref: row.ref, recordedAt: row.recorded_at, resolvedAt, changed: true };
}

/** The releases with an incident of this ref (a Jira key), in any case, open or resolved. */
export async function incidentsByRef(db: Db, ref: string): Promise<{ releaseId: number; ref: string }[]> {
  const rows = await db
    .selectFrom('incidents')
    .select(['release_id', 'ref'])
    .where(sql<string>`upper(ref)`, '=', ref.toUpperCase())
    .orderBy('release_id')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ releaseId: r.release_id, ref: r.ref }));
}

/**
 * Marks a release's resolved incident of this ref open again, so that its time to restore runs to its
 * next resolution. `reopened` is undefined when it has no such incident or it is open already; a Jira
 * event older than the newest one taken for the incident changes nothing (see `resolveIncident`).
 */
export async function reopenIncident(trx: Transaction<DB>, releaseId: number, ref: string, jiraEventAt?: Date): Promise<{ ref: string; resolvedAt: Date } | StaleJiraEvent | undefined> {
  const row = await lockIncident(trx, releaseId, ref, 'resolved');
  if (!row) return undefined;
  const stale = staleness(row, jiraEventAt);
  if (stale) return stale;
  const jira_event_at = newestEvent(row, jiraEventAt);
  if (!row.resolved_at) {
    if (jira_event_at !== row.jira_event_at) await trx.updateTable('incidents').set({ jira_event_at }).where('id', '=', row.id).execute();
    return undefined;
  }
  await trx.updateTable('incidents').set({ resolved_at: null, jira_event_at }).where('id', '=', row.id).execute();
  return { ref: row.ref, resolvedAt: row.resolved_at };
}
