import type { Kysely, Transaction } from 'kysely';
import type { DB, StepRow } from '../schema.ts';
import type { RolloutStep, StepState } from '../../core/rollout.ts';

type Db = Kysely<DB> | Transaction<DB>;


export function toStep(row: StepRow): RolloutStep {
  return {
    id: row.id,
    releaseId: row.release_id,
    kind: row.kind,
    waveIndex: row.wave_index,
    waveName: row.wave_name,
    try: row.try,
    targets: row.targets,
    deployer: row.deployer,
    checklist: row.checklist,
    state: row.state,
    idempotencyKey: row.idempotency_key,
    dueAt: row.due_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    bakeUntil: row.bake_until,
    verifyDeadline: row.verify_deadline,
    error: row.error,
    reportedBy: row.reported_by,
  };
}

export async function stepsOf(db: Db, releaseId: number): Promise<RolloutStep[]> {
  const rows = await db.selectFrom('rollout_steps').selectAll().where('release_id', '=', releaseId).orderBy('id').execute();
  return rows.map(toStep);
}

export async function findStep(db: Db, id: number, options: { lock?: boolean } = {}): Promise<RolloutStep | undefined> {
  let query = db.selectFrom('rollout_steps').selectAll().where('id', '=', id);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? toStep(row) : undefined;
}

export async function findStepByKey(db: Db, key: string): Promise<RolloutStep | undefined> {
  const row = await db.selectFrom('rollout_steps').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
  return row ? toStep(row) : undefined;
}

/** Creates the step unless it exists (a second worker racing to create it gets undefined). */
export async function createStep(
  db: Db,
  step: Pick<RolloutStep, 'releaseId' | 'kind' | 'waveIndex' | 'waveName' | 'try' | 'targets' | 'deployer' | 'checklist' | 'dueAt'>,
  now: Date,
): Promise<RolloutStep | undefined> {
  const row = await db
    .insertInto('rollout_steps')
    .values({
      release_id: step.releaseId,
      kind: step.kind,
      wave_index: step.waveIndex,
      wave_name: step.waveName,
      try: step.try,
      targets: JSON.stringify(step.targets),
      deployer: step.deployer,
      checklist: JSON.stringify(step.checklist),
      state: 'pending',
      idempotency_key: `rel-${step.releaseId}-${step.kind}-w${step.waveIndex}-t${step.try}`,
      due_at: step.dueAt,
      created_at: now,
    })
    .onConflict((oc) => oc.constraint('rollout_steps_once').doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? toStep(row) : undefined;
}

/** Compare-and-set on a step's state: only one caller moves it from `from`. */
export async function updateStepIf(
  db: Db,
  id: number,
  from: StepState | StepState[],
  changes: Partial<{ state: StepState; started_at: Date; finished_at: Date; bake_until: Date | null; verify_deadline: Date | null; error: string | null; reported_by: string | null; due_at: Date }>,
): Promise<RolloutStep | undefined> {
  const row = await db
    .updateTable('rollout_steps')
    .set(changes)
    .where('id', '=', id)
    .where('state', 'in', Array.isArray(from) ? from : [from])
    .returningAll()
    .executeTakeFirst();
  return row ? toStep(row) : undefined;
}

export async function tickItem(db: Db, stepId: number, item: number, actor: string, at: Date): Promise<boolean> {
  const row = await db.insertInto('checklist_ticks').values({ step_id: stepId, item, actor, at }).onConflict((oc) => oc.columns(['step_id', 'item']).doNothing()).returning('item').executeTakeFirst();
  return row !== undefined;
}

export async function ticksOf(db: Db, stepId: number): Promise<{ item: number; actor: string; at: Date }[]> {
  return db.selectFrom('checklist_ticks').select(['item', 'actor', 'at']).where('step_id', '=', stepId).orderBy('item').execute();
}
