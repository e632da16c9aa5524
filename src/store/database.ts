import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import { Migrator, type MigrationResultSet } from 'kysely/migration';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { migrations } from './migrations/index.ts';
import type { DB } from './schema.ts';

export type Database = Kysely<DB>;

export interface DatabaseOptions {
  /** postgres://… ; when absent, the embedded PGlite store in `dataDir`. */
  url?: string;
  dataDir: string;
  /** An in-memory PGlite (tests). */
  memory?: boolean;
  /** PostgreSQL connections per process: enough for the workers' concurrency (24) to rarely wait. */
  poolSize?: number;
}

export function describeDatabase(options: DatabaseOptions): string {
  if (options.url) return `PostgreSQL at ${redactUrl(options.url)}`;
  return options.memory ? 'embedded PGlite (in memory)' : `embedded PGlite in ${resolve(options.dataDir)}`;
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** The pool could not open a connection to PostgreSQL: refused, timed out, or dropped while connecting. */
export class DatabaseUnreachableError extends Error {
  constructor(cause: unknown) {
    super(`cannot connect to the database: ${(cause as Error)?.message ?? cause}`, { cause });
    this.name = 'DatabaseUnreachableError';
  }
}

const embedded = new WeakSet<Database>();

/**
 * Whether the database is the embedded PGlite: one connection, one transaction at a time, so a reader
 * needs no snapshot to see a consistent log, and a long transaction would hold up everything else.
 */
export function isEmbedded(db: Database): boolean {
  return embedded.has(db);
}

/** One connection pool (or one embedded PGlite) per process, built by the composition root. */
export function createDatabase(options: DatabaseOptions): Database {
  if (options.url) {
    // A server that does not answer fails a request in 10 s rather than holding it forever.
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 20, connectionTimeoutMillis: 10_000 });
    const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
    // Kysely takes connections with pool.connect(); a failure there is the database being unreachable.
    pool.connect = (async () => {
      try {
        return await connect();
      } catch (error) {
        throw new DatabaseUnreachableError(error);
      }
    }) as typeof pool.connect;
    // A connection PostgreSQL drops (restart, failover, admin termination) must not take the process
    // down: the query in flight fails, and the pool opens a new connection for the next one.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  }
  const pglite = async () => {
    if (options.memory) return PGlite.create();
    mkdirSync(options.dataDir, { recursive: true });
    return PGlite.create(resolve(options.dataDir, 'pgdata'));
  };
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  embedded.add(db);
  return db;
}

export function migrator(db: Database): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Database): Promise<MigrationResultSet> {
  const result = await migrator(db).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(result.error as Error).message ?? result.error}`, { cause: result.error });
  }
  return result;
}

/** Answers when the database does: readiness checks and `doctor`. */
export async function pingDatabase(db: Database): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
