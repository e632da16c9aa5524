import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { BundlesTable, DB } from '../schema.ts';
import type { MemberRollout } from '../../core/bundles.ts';

type Db = Kysely<DB> | Transaction<DB>;

export interface StoredBundle {
  id: number;
  name: string;
  createdBy: string;
  plannedStart: Date | null;
  state: string;
  revision: number;
  /** The channel it was created in, where its card is posted. */
  channel: string | null;
  cardChannel: string | null;
  cardTs: string | null;
  rolloutNote: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The bundle's ticket in Jira, once raised. */
  jiraKey: string | null;
}

function toBundle(row: Selectable<BundlesTable>): StoredBundle {
  return { id: row.id, name: row.name, createdBy: row.created_by, plannedStart: row.planned_start, state: row.state, revision: row.revision, channel: row.channel, cardChannel: row.card_channel, cardTs: row.card_ts, rolloutNote: row.rollout_note, startedAt: row.started_at, finishedAt: row.finished_at, jiraKey: row.jira_key };
}

export interface StoredBundleMember {
  releaseId: number;
  position: number;
  service: string;
  version: string;
  state: string;
  requestedBy: string;
}

export async function insertBundle(db: Db, bundle: { name: string; createdBy: string; at: Date; plannedStart: Date | null; channel: string | null }): Promise<StoredBundle> {
  const row = await db
    .insertInto('bundles')
    .values({ name: bundle.name, created_by: bundle.createdBy, created_at: bundle.at, planned_start: bundle.plannedStart, channel: bundle.channel })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toBundle(row);
}

export async function findBundle(db: Db, id: number, options: { lock?: boolean } = {}): Promise<StoredBundle | undefined> {
  let query = db.selectFrom('bundles').selectAll().where('id', '=', id);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toBundle(row);
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
 * up (voiding approvals given so far) and an approved bundle is open again for a new request. A bundle
 * already rolling out (or done) is left as it is, and its state is returned so the caller refuses the change.
 */
export async function voidBundleOf(db: Db, releaseId: number): Promise<{ id: number; refused: string | null } | null> {
  const current = await db
    .selectFrom('bundles')
    .select(['id', 'state'])
    .where('id', 'in', (eb) => eb.selectFrom('bundle_members').select('bundle_id').where('release_id', '=', releaseId))
    .forUpdate()
    .executeTakeFirst();
  if (!current) return null;
  if (current.state !== 'open' && current.state !== 'approved') return { id: current.id, refused: current.state };
  await db
    .updateTable('bundles')
    .set((eb) => ({ revision: eb('revision', '+', 1), state: eb.case().when('state', '=', 'approved').then('open').else(eb.ref('state')).end() }))
    .where('id', '=', current.id)
    .execute();
  return { id: current.id, refused: null };
}

/**
 * Locks the releases of a bundle (and any about to join it) in id order, before the bundle's own row:
 * the order a member's edit takes them in (its release, then its bundle), so the two never deadlock.
 */
export async function lockMembersOf(db: Db, bundleId: number, extra: number[] = []): Promise<void> {
  await db
    .selectFrom('releases')
    .select('id')
    .where((eb) => eb.or([eb('id', 'in', eb.selectFrom('bundle_members').select('release_id').where('bundle_id', '=', bundleId)), ...(extra.length ? [eb('id', 'in', extra)] : [])]))
    .orderBy('id')
    .forUpdate()
    .execute();
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

/** Moves a bundle from one rollout state to another, with the columns that go with it; false if it was not in `from`. */
export async function updateBundleIf(db: Db, bundleId: number, from: string, changes: { state?: string; rollout_note?: string | null; started_at?: Date; finished_at?: Date }): Promise<boolean> {
  const result = await db.updateTable('bundles').set(changes).where('id', '=', bundleId).where('state', '=', from).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Each member as its rollout stands, in run order: its state and direction, whether the bundle went
 * past it, and whether its latest live step failed (a failed wave leaves the release paused).
 */
export async function memberRollouts(db: Db, bundleId: number): Promise<MemberRollout[]> {
  const rows = await db
    .selectFrom('bundle_members as m')
    .innerJoin('releases as r', 'r.id', 'm.release_id')
    .select((eb) => [
      'm.release_id',
      'm.position',
      'm.passed_at',
      'r.state',
      'r.rollout_direction',
      'r.service',
      'r.version',
      'r.requester',
      eb
        .selectFrom('rollout_steps as s')
        .select('s.state')
        .whereRef('s.release_id', '=', 'r.id')
        .where('s.state', '<>', 'cancelled')
        .orderBy('s.id', 'desc')
        .limit(1)
        .as('last_step'),
    ])
    .where('m.bundle_id', '=', bundleId)
    .orderBy('m.position')
    .execute();
  return rows.map((r) => ({
    releaseId: r.release_id,
    position: r.position,
    state: r.state as MemberRollout['state'],
    direction: r.rollout_direction === 'rollback' ? 'rollback' : 'forward',
    passed: r.passed_at !== null,
    lastStepFailed: r.last_step === 'failed',
    service: r.service,
    version: r.version,
    requester: r.requester,
  }));
}

/** The bundle a release is in, with every member's rollout; undefined when it is in none. */
export async function bundleOfRelease(db: Db, releaseId: number): Promise<{ bundle: StoredBundle; members: MemberRollout[] } | undefined> {
  const row = await db.selectFrom('bundle_members').select('bundle_id').where('release_id', '=', releaseId).executeTakeFirst();
  if (!row) return undefined;
  const bundle = await findBundle(db, row.bundle_id);
  return bundle && { bundle, members: await memberRollouts(db, bundle.id) };
}

export async function markPassed(db: Db, bundleId: number, releaseId: number, by: string, at: Date): Promise<void> {
  await db.updateTable('bundle_members').set({ passed_by: by, passed_at: at }).where('bundle_id', '=', bundleId).where('release_id', '=', releaseId).execute();
}

/** Claims the first post of a bundle's card: `from` is what the card column held (null, or a stale marker). */
export async function claimBundleCard(db: Db, bundleId: number, from: string | null, to: string | null): Promise<boolean> {
  const query = db.updateTable('bundles').set({ card_ts: to }).where('id', '=', bundleId);
  const result = await (from === null ? query.where('card_ts', 'is', null) : query.where('card_ts', '=', from)).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function setBundleCard(db: Db, bundleId: number, channel: string, ts: string): Promise<void> {
  await db.updateTable('bundles').set({ card_channel: channel, card_ts: ts }).where('id', '=', bundleId).execute();
}

/** Puts the members in this order (every member, each once), keeping the positions unique throughout. */
export async function reorderMembers(db: Db, bundleId: number, order: number[]): Promise<void> {
  // Negative first, so no two members hold a position at once under the unique index.
  await sql`UPDATE bundle_members SET position = -position WHERE bundle_id = ${bundleId}`.execute(db);
  for (const [i, id] of order.entries()) {
    await db.updateTable('bundle_members').set({ position: i + 1 }).where('bundle_id', '=', bundleId).where('release_id', '=', id).execute();
  }
}

export async function setBundleTicket(db: Db, bundleId: number, key: string): Promise<void> {
  await db.updateTable('bundles').set({ jira_key: key }).where('id', '=', bundleId).execute();
}

/** Bundles still taking members (open), newest first: what the planning form offers. */
export async function openBundles(db: Db, limit = 100): Promise<{ id: number; name: string }[]> {
  return db.selectFrom('bundles').select(['id', 'name']).where('state', '=', 'open').orderBy('id', 'desc').limit(limit).execute();
}
