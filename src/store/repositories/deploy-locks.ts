import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB, DeployLocksTable } from '../schema.ts';
import type { DeployLock } from '../../core/locks.ts';

type Db = Kysely<DB> | Transaction<DB>;

function toLock(row: Selectable<DeployLocksTable>): DeployLock {
  return { id: row.id, service: row.service, targets: row.targets ?? [], reason: row.reason, lockedBy: row.locked_by, createdAt: row.created_at, expiresAt: row.expires_at };
}

export async function insertLock(db: Db, lock: { service: string; targets: string[]; reason: string; lockedBy: string; at: Date; expiresAt: Date }): Promise<DeployLock> {
  const row = await db
    .insertInto('deploy_locks')
    .values({ service: lock.service, targets: JSON.stringify(lock.targets), reason: lock.reason, locked_by: lock.lockedBy, created_at: lock.at, expires_at: lock.expiresAt })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toLock(row);
}

/** Locks in force at `now` (not removed, not expired), of one service or all, soonest to expire first. */
export async function activeLocks(db: Db, now: Date, service?: string): Promise<DeployLock[]> {
  let query = db.selectFrom('deploy_locks').selectAll().where('released_at', 'is', null).where('expires_at', '>', now);
  if (service) query = query.where('service', '=', service);
  return (await query.orderBy('expires_at').orderBy('id').execute()).map(toLock);
}

/** Removes these locks if they are still in force (compare-and-set), returning the ones this call removed. */
export async function releaseLocks(db: Db, ids: number[], by: string, now: Date): Promise<DeployLock[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('deploy_locks')
    .set({ released_at: now, released_by: by })
    .where('id', 'in', ids)
    .where('released_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .execute();
  return rows.map(toLock);
}
