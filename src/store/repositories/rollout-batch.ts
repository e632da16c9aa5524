import { sql, type Transaction } from 'kysely';
import type { Decision } from '../../core/approvals.ts';
import type { DB, ReleaseRow, StepRow } from '../schema.ts';

/** What a rollout tick reads of one release, under its row lock. */
export interface TickRows {
  release: ReleaseRow;
  steps: StepRow[];
  decisions: Decision[];
}

/**
 * Locks the releases (in id order, so overlapping batches queue instead of deadlocking) and reads
 * their steps and decisions, in three statements however many releases there are. The reads come
 * after the lock, so they see everything committed by the transactions the lock waited for. With
 * `skipLocked`, a release another transaction holds is left out rather than waited for, so one busy
 * release cannot hold up a whole batch.
 */
export async function lockForTicks(trx: Transaction<DB>, ids: number[], options: { skipLocked?: boolean } = {}): Promise<Map<number, TickRows>> {
  const out = new Map<number, TickRows>();
  if (ids.length === 0) return out;
  let query = trx.selectFrom('releases').selectAll().where('id', 'in', ids).orderBy('id').forUpdate();
  if (options.skipLocked) query = query.skipLocked();
  const releases = await query.execute();
  if (releases.length === 0) return out;
  const locked = releases.map((r) => r.id);
  for (const release of releases) out.set(release.id, { release, steps: [], decisions: [] });
  const steps = await trx.selectFrom('rollout_steps').selectAll().where('release_id', 'in', locked).orderBy('id').execute();
  for (const step of steps) out.get(step.release_id)!.steps.push(step);
  const decisions = await trx.selectFrom('decisions').selectAll().where('release_id', 'in', locked).orderBy('decided_at').orderBy('id').execute();
  for (const d of decisions) out.get(d.release_id)!.decisions.push({ approver: d.approver, decision: d.decision, revision: d.revision, decidedAt: d.decided_at, comment: d.comment });
  return out;
}

/** Step ids drawn from the sequence ahead of time, so a batch can create steps without a round trip each. */
export class StepIdPool {
  readonly #ids: number[] = [];
  readonly #trx: Transaction<DB>;

  constructor(trx: Transaction<DB>) {
    this.#trx = trx;
  }

  async reserve(count: number): Promise<void> {
    if (count <= 0) return;
    const rows = await sql<{ id: number }>`SELECT nextval(pg_get_serial_sequence('rollout_steps', 'id'))::int AS id FROM generate_series(1, ${count})`.execute(this.#trx);
    this.#ids.push(...rows.rows.map((r) => Number(r.id)).sort((a, b) => a - b));
  }

  async take(): Promise<number> {
    if (this.#ids.length === 0) await this.reserve(8);
    return this.#ids.shift()!;
  }
}

const RELEASE_COLUMNS = ['state', 'updated_at', 'started_at', 'finished_at', 'rollout_note', 'revision', 'bypassed_freeze'] as const;
const STEP_COLUMNS = ['state', 'started_at', 'finished_at', 'bake_until', 'verify_deadline', 'error', 'reported_by', 'due_at'] as const;

function changed<T extends Record<string, unknown>>(before: T, after: T, columns: readonly (keyof T)[]): boolean {
  return columns.some((c) => {
    const a = before[c];
    const b = after[c];
    return a instanceof Date && b instanceof Date ? a.getTime() !== b.getTime() : a !== b;
  });
}

export interface TickWrites {
  /** Releases as loaded and as the tick left them; only changed ones are written. */
  releases: { before: ReleaseRow; after: ReleaseRow }[];
  steps: { before: StepRow | undefined; after: StepRow }[];
}

/**
 * Writes what a batch of ticks decided, in at most three statements: new steps, changed steps,
 * changed releases. Each update is a compare-and-set on the state read under the lock; a row that
 * does not match means something wrote without the lock, and the whole batch is undone.
 */
export async function writeTicks(trx: Transaction<DB>, writes: TickWrites): Promise<void> {
  const inserts = writes.steps.filter((s) => !s.before).map((s) => s.after);
  if (inserts.length) {
    const rows = await trx
      .insertInto('rollout_steps')
      .values(inserts.map((s) => ({ ...s, targets: JSON.stringify(s.targets), checklist: JSON.stringify(s.checklist) })))
      .onConflict((oc) => oc.constraint('rollout_steps_once').doNothing())
      .returning('id')
      .execute();
    if (rows.length !== inserts.length) throw new Error(`${inserts.length - rows.length} rollout step(s) were created by someone else during the tick`);
  }
  const updates = writes.steps.filter((s) => s.before && changed(s.before, s.after, STEP_COLUMNS));
  if (updates.length) {
    const json = JSON.stringify(updates.map((s) => ({ id: s.after.id, expected: s.before!.state, ...Object.fromEntries(STEP_COLUMNS.map((c) => [c, s.after[c]])) })));
    const result = await sql<{ id: number }>`
      UPDATE rollout_steps AS s SET state = v.state, started_at = v.started_at, finished_at = v.finished_at, bake_until = v.bake_until,
        verify_deadline = v.verify_deadline, error = v.error, reported_by = v.reported_by, due_at = v.due_at
      FROM jsonb_to_recordset(CAST(${json} AS jsonb)) AS v(id int, expected text, state text, started_at timestamptz, finished_at timestamptz,
        bake_until timestamptz, verify_deadline timestamptz, error text, reported_by text, due_at timestamptz)
      WHERE s.id = v.id AND s.state = v.expected
      RETURNING s.id`.execute(trx);
    if (result.rows.length !== updates.length) throw new Error('a rollout step changed under its release lock');
  }
  const releases = writes.releases.filter((r) => changed(r.before, r.after, RELEASE_COLUMNS));
  if (releases.length) {
    const json = JSON.stringify(releases.map((r) => ({ id: r.after.id, expected: r.before.state, ...Object.fromEntries(RELEASE_COLUMNS.map((c) => [c, r.after[c]])) })));
    const result = await sql<{ id: number }>`
      UPDATE releases AS r SET state = v.state, updated_at = v.updated_at, started_at = v.started_at, finished_at = v.finished_at,
        rollout_note = v.rollout_note, revision = v.revision, bypassed_freeze = v.bypassed_freeze
      FROM jsonb_to_recordset(CAST(${json} AS jsonb)) AS v(id int, expected text, state text, updated_at timestamptz, started_at timestamptz,
        finished_at timestamptz, rollout_note text, revision int, bypassed_freeze boolean)
      WHERE r.id = v.id AND r.state = v.expected
      RETURNING r.id`.execute(trx);
    if (result.rows.length !== releases.length) throw new Error('a release changed state under its own row lock');
  }
}
