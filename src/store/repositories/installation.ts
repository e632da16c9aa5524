import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../schema.ts';

/**
 * This database's installation id: made on first boot, the same ever after. Two processes booting at
 * once both try to insert their own; the one-row table keeps the first and both read it back.
 */
export async function ensureInstallationId(db: Kysely<DB>, now: Date): Promise<string> {
  await db.insertInto('installation').values({ id: randomUUID(), created_at: now }).onConflict((oc) => oc.column('singleton').doNothing()).execute();
  const row = await db.selectFrom('installation').select('id').executeTakeFirstOrThrow();
  return row.id;
}
