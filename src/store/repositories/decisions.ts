import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../schema.ts';
import type { Decision } from '../../core/approvals.ts';

type Db = Kysely<DB> | Transaction<DB>;

/** Records a decision once; returns false when this approver already decided this revision. */
export async function recordDecision(db: Db, releaseId: number, d: Decision): Promise<boolean> {
  const inserted = await db
    .insertInto('decisions')
    .values({ release_id: releaseId, revision: d.revision, approver: d.approver, decision: d.decision, comment: d.comment, decided_at: d.decidedAt })
    .onConflict((oc) => oc.constraint('decisions_once_per_revision').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function decisionsFor(db: Db, releaseId: number, revision?: number): Promise<Decision[]> {
  let query = db.selectFrom('decisions').selectAll().where('release_id', '=', releaseId).orderBy('decided_at').orderBy('id');
  if (revision !== undefined) query = query.where('revision', '=', revision);
  const rows = await query.execute();
  return rows.map((r) => ({ approver: r.approver, decision: r.decision, revision: r.revision, decidedAt: r.decided_at, comment: r.comment }));
}
