import { createDatabase, migrateToLatest, type Database } from '../../src/store/database.ts';
import { createTestDatabase } from './postgres.ts';

/**
 * A migrated store of one kind for a test file: a fresh database on the real PostgreSQL (dropped by
 * `drop`), or an in-memory PGlite (nothing to drop), so a file can run the same tests on both.
 */
export async function openTestStore(kind: 'postgres' | 'pglite'): Promise<{ db: Database; drop: (() => Promise<void>) | undefined }> {
  let db: Database;
  let drop: (() => Promise<void>) | undefined;
  if (kind === 'postgres') {
    const database = await createTestDatabase();
    drop = database.drop;
    db = createDatabase({ url: database.url, dataDir: '' });
  } else db = createDatabase({ dataDir: '', memory: true });
  await migrateToLatest(db);
  return { db, drop };
}
