import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../schema.ts';

/** Records an inbound delivery id; false when it was seen before (a retry). */
export async function firstDelivery(db: Kysely<DB> | Transaction<DB>, key: string, now: Date): Promise<boolean> {
  const row = await db.insertInto('inbound_deliveries').values({ key, received_at: now }).onConflict((oc) => oc.column('key').doNothing()).returning('key').executeTakeFirst();
  return row !== undefined;
}

/** Whether a delivery was taken already (a read; the mark itself is made with the work, by firstDelivery). */
export async function alreadyDelivered(db: Kysely<DB> | Transaction<DB>, key: string): Promise<boolean> {
  return (await db.selectFrom('inbound_deliveries').select('key').where('key', '=', key).executeTakeFirst()) !== undefined;
}

export async function pruneDeliveries(db: Kysely<DB>, before: Date): Promise<void> {
  await db.deleteFrom('inbound_deliveries').where('received_at', '<', before).execute();
}
