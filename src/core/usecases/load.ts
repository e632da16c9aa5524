import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../store/schema.ts';
import { findRelease } from '../../store/repositories/releases.ts';
import { DomainError } from '../errors.ts';
import { releaseKey, type StoredRelease } from '../release.ts';

export async function loadRelease(db: Kysely<DB> | Transaction<DB>, id: number, options: { lock?: boolean } = {}): Promise<StoredRelease> {
  const release = await findRelease(db, id, options);
  if (!release) throw new DomainError('not_found', `${releaseKey(id)} does not exist. Try \`/release list\`.`);
  return release;
}
