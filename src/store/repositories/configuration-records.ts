import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../schema.ts';

type Db = Kysely<DB> | Transaction<DB>;

export interface DeploymentRecord {
  service: string;
  target: string;
  version: string;
  source: string;
  releaseId: number | null;
  /** A Slack user id (who reported a manual wave done), a GitHub login, or null when relm cannot tell. */
  deployedBy: string | null;
  recordedAt: Date;
}

/** Records that `version` runs on each target; the same source event records once. */
export async function recordDeployments(db: Db, records: (Omit<DeploymentRecord, 'recordedAt'> & { sourceRef: string })[], at: Date): Promise<number> {
  if (records.length === 0) return 0;
  const rows = await db
    .insertInto('deployment_records')
    .values(records.map((r) => ({ service: r.service, target: r.target, version: r.version, source: r.source, release_id: r.releaseId, source_ref: r.sourceRef, recorded_at: at, deployed_by: r.deployedBy })))
    .onConflict((oc) => oc.column('source_ref').doNothing())
    .returning('id')
    .execute();
  return rows.length;
}

/** The version each target of a service runs now: its latest record. */
export async function currentVersions(db: Db, service: string): Promise<DeploymentRecord[]> {
  const rows = await db
    .selectFrom('deployment_records as d')
    .selectAll('d')
    .where('d.service', '=', service)
    .where('d.id', 'in', (eb) => eb.selectFrom('deployment_records').select((e) => e.fn.max('id').as('id')).where('service', '=', service).groupBy('target'))
    .orderBy('d.target')
    .execute();
  return rows.map((r) => ({ service: r.service, target: r.target, version: r.version, source: r.source, releaseId: r.release_id, deployedBy: r.deployed_by, recordedAt: r.recorded_at }));
}

/** The version a target ran before `beforeId`, for recording a rollback. */
export async function previousVersion(db: Db, service: string, target: string, releaseId: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('deployment_records')
    .select('version')
    .where('service', '=', service)
    .where('target', '=', target)
    .where((eb) => eb.or([eb('release_id', 'is', null), eb('release_id', '<>', releaseId)]))
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.version;
}

/** Records a version found live without authorisation; false when this event was already recorded. */
export async function recordUnauthorised(db: Db, finding: { service: string; version: string; kind: string; detail: string; sourceRef: string }, at: Date): Promise<boolean> {
  const row = await db
    .insertInto('unauthorised_versions')
    .values({ service: finding.service, version: finding.version, kind: finding.kind, detail: finding.detail, source_ref: finding.sourceRef, detected_at: at })
    .onConflict((oc) => oc.column('source_ref').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether relm authorised this version of the service: approved (or further) and never rejected or cancelled. */
export async function isAuthorisedVersion(db: Db, service: string, version: string): Promise<boolean> {
  const row = await db
    .selectFrom('releases')
    .select('id')
    .where('service', '=', service)
    .where(sql<string>`ltrim(version, 'v')`, '=', version.replace(/^v/, ''))
    .where('state', 'in', ['approved', 'scheduled', 'in_progress', 'paused', 'completed', 'failed', 'rolled_back'])
    .executeTakeFirst();
  return row !== undefined;
}
