import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, NewReleaseRow, ReleaseRow, ReleaseUpdate } from '../schema.ts';
import type { ReleaseState, ReleaseType, Risk, StoredRelease } from '../../core/release.ts';

type Db = Kysely<DB> | Transaction<DB>;


export function toRelease(row: ReleaseRow): StoredRelease {
  return {
    id: row.id,
    service: row.service,
    version: row.version,
    type: row.type as ReleaseType,
    title: row.title,
    description: row.description,
    risk: row.risk as Risk,
    plannedStart: row.planned_start,
    deploymentModel: row.deployment_model,
    rollbackPlan: row.rollback_plan,
    testEvidence: row.test_evidence,
    trainingNeeded: row.training_needed,
    trainingLinks: row.training_links ?? [],
    impact: row.impact,
    contact: row.contact,
    requester: row.requester,
    state: row.state as ReleaseState,
    revision: row.revision,
    rescheduleCount: row.reschedule_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    submittedAt: row.submitted_at,
    approvedAt: row.approved_at,
    waves: row.waves,
    rolloutDirection: row.rollout_direction,
    rolloutNote: row.rollout_note,
    bypassedFreeze: row.bypassed_freeze,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    jiraKey: row.jira_key,
    assets: row.assets,
    assetsVerifiedAt: row.assets_verified_at,
    assetsProblem: row.assets_problem,
    assessedRisk: (row.assessed_risk as Risk | null) ?? null,
    riskFactors: row.risk_factors ?? [],
    riskReason: row.risk_reason ?? null,
    forcedBy: row.forced_by ?? null,
    cardChannel: row.card_channel,
    cardTs: row.card_ts,
  };
}

export async function insertRelease(db: Db, row: NewReleaseRow): Promise<StoredRelease> {
  return toRelease(await db.insertInto('releases').values(row).returningAll().executeTakeFirstOrThrow());
}

export async function findRelease(db: Db, id: number, options: { lock?: boolean } = {}): Promise<StoredRelease | undefined> {
  let query = db.selectFrom('releases').selectAll().where('id', '=', id);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? toRelease(row) : undefined;
}

/**
 * Moves a release from `from` to the values in `changes`, only if it is still in `from`:
 * the compare-and-set that makes concurrent transitions happen once.
 */
export async function updateReleaseIf(db: Db, id: number, from: ReleaseState, changes: ReleaseUpdate): Promise<StoredRelease | undefined> {
  const row = await db.updateTable('releases').set(changes).where('id', '=', id).where('state', '=', from).returningAll().executeTakeFirst();
  return row ? toRelease(row) : undefined;
}

/** Claims the first post of a card: only the caller whose expected value still stands gets it. */
export async function claimCardPost(db: Db, id: number, expected: string | null, marker: string | null): Promise<boolean> {
  const row = await db
    .updateTable('releases')
    .set({ card_ts: marker })
    .where('id', '=', id)
    .where((eb) => (expected === null ? eb('card_ts', 'is', null) : eb('card_ts', '=', expected)))
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function setCard(db: Db, id: number, channel: string, ts: string): Promise<void> {
  await db.updateTable('releases').set({ card_channel: channel, card_ts: ts }).where('id', '=', id).execute();
}

/** Versions of a service that still count (everything but cancelled), newest first by id. */
export async function liveVersions(db: Db, service: string): Promise<string[]> {
  const rows = await db.selectFrom('releases').select('version').where('service', '=', service).where('state', '<>', 'cancelled').orderBy('id', 'desc').execute();
  return rows.map((r) => r.version);
}

/** Serialises planning per service, so two plans cannot both claim the next version. */
export async function lockService(db: Transaction<DB>, service: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`relm:service:${service}`}))`.execute(db);
}

export async function listReleases(db: Db, filter: { service?: string; states?: ReleaseState[]; limit?: number }): Promise<StoredRelease[]> {
  let query = db.selectFrom('releases').selectAll().orderBy('id', 'desc').limit(filter.limit ?? 20);
  if (filter.service) query = query.where('service', '=', filter.service);
  if (filter.states && filter.states.length > 0) query = query.where('state', 'in', filter.states);
  return (await query.execute()).map(toRelease);
}

/** Releases whose rollout should be moving: in progress, or scheduled and due. */
export async function releasesToSweep(db: Db, now: Date, limit = 500): Promise<number[]> {
  const rows = await db
    .selectFrom('releases')
    .select('id')
    .where((eb) => eb.or([eb('state', '=', 'in_progress'), eb.and([eb('state', '=', 'scheduled'), eb('planned_start', '<=', now)])]))
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Stores the change ticket raised for a release. */
export async function setChangeTicket(db: Db, id: number, ticket: { key: string; issueId: string | null }): Promise<void> {
  await db.updateTable('releases').set({ jira_key: ticket.key, jira_issue_id: ticket.issueId }).where('id', '=', id).execute();
}

/** The release whose change ticket has this Jira key. */
export async function releaseIdByJiraKey(db: Db, key: string): Promise<number | undefined> {
  return (await db.selectFrom('releases').select('id').where('jira_key', '=', key).executeTakeFirst())?.id;
}

/** The releases whose change tickets are among these Jira issue ids. */
export async function releasesByJiraIssueIds(db: Db, issueIds: string[]): Promise<{ id: number; jiraIssueId: string }[]> {
  const rows = await db.selectFrom('releases').select(['id', 'jira_issue_id']).where('jira_issue_id', 'in', issueIds).execute();
  return rows.map((r) => ({ id: r.id, jiraIssueId: r.jira_issue_id! }));
}

/** Which of these ids are releases at all (a batch tells a held release from a missing one). */
export async function existingReleaseIds(db: Db, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('releases').select('id').where('id', 'in', ids).execute()).map((r) => r.id);
}

/** Records the outcome of checking a release's assets on GitHub (a problem, or verified at `now`). */
export async function recordAssetCheck(db: Db, id: number, problem: string | null, now: Date): Promise<StoredRelease> {
  const row = await db
    .updateTable('releases')
    .set(problem ? { assets_problem: problem, rollout_note: null } : { assets_verified_at: now, assets_problem: null, rollout_note: null })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRelease(row);
}

/** Releases waiting for approval, with when the request for their current revision was posted. */
export async function awaitingApproval(db: Db, limit = 500): Promise<{ id: number; service: string; revision: number; requestedAt: Date }[]> {
  const rows = await db
    .selectFrom('releases as r')
    .innerJoin('outbox as o', (join) => join.on(sql`o.dedupe_key`, '=', sql`'approval_request:' || r.id || ':' || r.revision`))
    .select(['r.id', 'r.service', 'r.revision', 'o.done_at'])
    .where('r.state', '=', 'submitted')
    .where('o.state', '=', 'done')
    .orderBy('r.id')
    .limit(limit)
    .execute();
  return rows.filter((r) => r.done_at).map((r) => ({ id: r.id, service: r.service, revision: r.revision, requestedAt: r.done_at! }));
}

/** Authorised releases that have not started yet (their approvals may lapse before they do). */
export async function authorisedNotStarted(db: Db, limit = 500): Promise<{ id: number; service: string; type: ReleaseType; revision: number; plannedStart: Date | null }[]> {
  const rows = await db.selectFrom('releases').select(['id', 'service', 'type', 'revision', 'planned_start']).where('state', 'in', ['approved', 'scheduled']).orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, service: r.service, type: r.type as ReleaseType, revision: r.revision, plannedStart: r.planned_start }));
}

/** What the calendar and the conflict checks read of a release: a few columns, however many releases. */
export type CalendarRelease = Pick<StoredRelease, 'id' | 'service' | 'version' | 'title' | 'type' | 'state' | 'plannedStart' | 'startedAt' | 'deploymentModel' | 'waves'>;

const CALENDAR_COLUMNS = ['id', 'service', 'version', 'title', 'type', 'state', 'planned_start', 'started_at', 'deployment_model', 'waves'] as const;

function toCalendarRelease(row: Pick<ReleaseRow, (typeof CALENDAR_COLUMNS)[number]>): CalendarRelease {
  return { id: row.id, service: row.service, version: row.version, title: row.title, type: row.type as ReleaseType, state: row.state as ReleaseState, plannedStart: row.planned_start, startedAt: row.started_at, deploymentModel: row.deployment_model, waves: row.waves };
}

/**
 * Releases that hold a place on the calendar between `from` and `to`: live ones planned to start in
 * it, and every rollout in progress or paused (whenever it started). One indexed query.
 */
export async function liveReleasesBetween(db: Db, from: Date, to: Date, states: readonly ReleaseState[]): Promise<CalendarRelease[]> {
  const rows = await db
    .selectFrom('releases')
    .select(CALENDAR_COLUMNS)
    .where('state', 'in', states)
    .where((eb) => eb.or([eb.and([eb('planned_start', '>=', from), eb('planned_start', '<=', to)]), eb('state', 'in', ['in_progress', 'paused'])]))
    .orderBy('planned_start')
    .orderBy('id')
    .execute();
  return rows.map(toCalendarRelease);
}

/**
 * Serialises the transactions that start a first wave where conflicts wait: held until commit, so a
 * second batch reads the rollouts under way only after the first's starts are committed, and two
 * conflicting releases ticked by two workers at the same instant cannot both start.
 */
export async function lockRolloutStarts(trx: Transaction<DB>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('relm:rollout-starts'))`.execute(trx);
}

/**
 * Rollouts under way: in progress or paused, with a wave that has started (a release still waiting
 * for its first wave holds nothing yet), or rolling back.
 */
export async function rolloutsUnderWay(db: Db): Promise<CalendarRelease[]> {
  const rows = await db
    .selectFrom('releases as r')
    .select(CALENDAR_COLUMNS.map((c) => `r.${c}` as const))
    .where('r.state', 'in', ['in_progress', 'paused'])
    .where((eb) => eb.or([eb('r.rollout_direction', '=', 'rollback'), eb.exists(eb.selectFrom('rollout_steps as s').select('s.id').whereRef('s.release_id', '=', 'r.id').where('s.started_at', 'is not', null))]))
    .orderBy('r.id')
    .execute();
  return rows.map(toCalendarRelease);
}

/** Rollouts in progress whose first wave has not started: what a lock, an unlock or a finished rollout may hold or free. */
export async function rolloutsWaitingToStart(db: Db, service?: string): Promise<CalendarRelease[]> {
  let query = db
    .selectFrom('releases as r')
    .select(CALENDAR_COLUMNS.map((c) => `r.${c}` as const))
    .where('r.state', '=', 'in_progress')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('rollout_steps as s').select('s.id').whereRef('s.release_id', '=', 'r.id').where('s.started_at', 'is not', null))));
  if (service) query = query.where('r.service', '=', service);
  return (await query.orderBy('r.id').execute()).map(toCalendarRelease);
}

/** How many of a service's releases failed or were rolled back since `since` (the risk assessment's "recent failures"). */
export async function recentFailureCount(db: Db, service: string, since: Date): Promise<number> {
  const row = await db
    .selectFrom('releases')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('service', '=', service)
    .where('state', 'in', ['failed', 'rolled_back'])
    .where('finished_at', '>=', since)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Ids of a service's releases in these states. */
export async function listReleasesOf(db: Db, service: string, states: readonly ReleaseState[]): Promise<number[]> {
  return (await db.selectFrom('releases').select('id').where('service', '=', service).where('state', 'in', states).orderBy('id').execute()).map((r) => r.id);
}

/** A release on the calendar feed: what the calendar reads, with where its card is. */
export type FeedRelease = CalendarRelease & { cardChannel: string | null; cardTs: string | null };

/**
 * Scheduled releases planned to start between `from` and `to`, and every rollout in progress or
 * paused, of the given services (all when none are given). One indexed query.
 */
export async function feedReleases(db: Db, from: Date, to: Date, services?: string[]): Promise<FeedRelease[]> {
  let query = db
    .selectFrom('releases')
    .select([...CALENDAR_COLUMNS, 'card_channel', 'card_ts'])
    .where((eb) => eb.or([eb.and([eb('state', '=', 'scheduled'), eb('planned_start', '>=', from), eb('planned_start', '<=', to)]), eb('state', 'in', ['in_progress', 'paused'])]));
  if (services) query = query.where('service', 'in', services.length ? services : ['']);
  const rows = await query.orderBy('planned_start').orderBy('id').execute();
  return rows.map((row) => ({ ...toCalendarRelease(row), cardChannel: row.card_channel, cardTs: row.card_ts }));
}
