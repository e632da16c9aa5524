import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../schema.ts';

type Db = Kysely<DB> | Transaction<DB>;

export interface StoredBundle {
  id: number;
  name: string;
  createdBy: string;
  plannedStart: Date | null;
  state: string;
  revision: number;
}

export interface StoredBundleMember {
  releaseId: number;
  position: number;
  service: string;
  version: string;
  state: string;
  requestedBy: string;
}

export async function insertBundle(db: Db, bundle: { name: string; createdBy: string; at: Date; plannedStart: Date | null }): Promise<StoredBundle> {
  const row = await db
    .insertInto('bundles')
    .values({ name: bundle.name, created_by: bundle.createdBy, created_at: bundle.at, planned_start: bundle.plannedStart })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { id: row.id, name: row.name, createdBy: row.created_by, plannedStart: row.planned_start, state: row.state, revision: row.revision };
}

export async function findBundle(db: Db, id: number, options: { lock?: boolean } = {}): Promise<StoredBundle | undefined> {
  let query = db.selectFrom('bundles').selectAll().where('id', '=', id);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && { id: row.id, name: row.name, createdBy: row.created_by, plannedStart: row.planned_start, state: row.state, revision: row.revision };
}

/** Members in run order, with what the bundle card and the rules need of each release. */
export async function bundleMembers(db: Db, bundleId: number): Promise<StoredBundleMember[]> {
  const rows = await db
    .selectFrom('bundle_members as m')
    .innerJoin('releases as r', 'r.id', 'm.release_id')
    .select(['m.release_id', 'm.position', 'r.service', 'r.version', 'r.state', 'r.requester'])
    .where('m.bundle_id', '=', bundleId)
    .orderBy('m.position')
    .execute();
  return rows.map((r) => ({ releaseId: r.release_id, position: r.position, service: r.service, version: r.version, state: r.state, requestedBy: r.requester }));
}

/** The bundle each of these releases is in, if any. */
export async function bundlesOf(db: Db, releaseIds: number[]): Promise<Map<number, number>> {
  if (releaseIds.length === 0) return new Map();
  const rows = await db.selectFrom('bundle_members').select(['release_id', 'bundle_id']).where('release_id', 'in', releaseIds).execute();
  return new Map(rows.map((r) => [r.release_id, r.bundle_id]));
}

export async function insertMembers(db: Db, bundleId: number, releaseIds: number[], by: string, at: Date): Promise<void> {
  if (releaseIds.length === 0) return;
  const last = await db.selectFrom('bundle_members').select((eb) => eb.fn.max('position').as('max')).where('bundle_id', '=', bundleId).executeTakeFirst();
  const start = Number(last?.max ?? 0);
  await db.insertInto('bundle_members').values(releaseIds.map((id, i) => ({ release_id: id, bundle_id: bundleId, position: start + i + 1, added_by: by, added_at: at }))).execute();
}

export async function deleteMember(db: Db, bundleId: number, releaseId: number): Promise<boolean> {
  const result = await db.deleteFrom('bundle_members').where('bundle_id', '=', bundleId).where('release_id', '=', releaseId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** A change to any member voids approvals given for the bundle as it was. */
export async function bumpRevision(db: Db, bundleId: number): Promise<void> {
  await db.updateTable('bundles').set((eb) => ({ revision: eb('revision', '+', 1) })).where('id', '=', bundleId).execute();
}

/**
 * An edit or reschedule of a member changes what the bundle's approvers authorised: its revision goes
 * up (voiding approvals given so far) and an approved bundle is open again for a new request.
 */
export async function voidBundleOf(db: Db, releaseId: number): Promise<number | null> {
  const row = await db
    .updateTable('bundles')
    .set((eb) => ({ revision: eb('revision', '+', 1), state: eb.case().when('state', '=', 'approved').then('open').else(eb.ref('state')).end() }))
    .where('id', 'in', (eb) => eb.selectFrom('bundle_members').select('bundle_id').where('release_id', '=', releaseId))
    .returning('id')
    .executeTakeFirst();
  return row?.id ?? null;
}

/** How many releases the bundle of this release holds; 0 when it is in none. */
export async function bundleSizeOf(db: Db, releaseId: number): Promise<number> {
  const row = await db
    .selectFrom('bundle_members as m')
    .innerJoin('bundle_members as o', 'o.bundle_id', 'm.bundle_id')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('m.release_id', '=', releaseId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Records an approval once per approver and revision; false when it was already there. */
export async function recordBundleApproval(db: Db, bundleId: number, revision: number, approver: string, at: Date): Promise<boolean> {
  const rows = await db.insertInto('bundle_approvals').values({ bundle_id: bundleId, revision, approver, decided_at: at }).onConflict((oc) => oc.doNothing()).returning('approver').execute();
  return rows.length > 0;
}

export async function bundleApprovals(db: Db, bundleId: number, revision: number): Promise<string[]> {
  return (await db.selectFrom('bundle_approvals').select('approver').where('bundle_id', '=', bundleId).where('revision', '=', revision).orderBy('decided_at').execute()).map((r) => r.approver);
}

export async function setBundleState(db: Db, bundleId: number, from: string, to: string): Promise<boolean> {
  const result = await db.updateTable('bundles').set({ state: to }).where('id', '=', bundleId).where('state', '=', from).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
