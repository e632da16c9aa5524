import { sql } from 'kysely';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { unreachableDependency } from '../../src/outage.ts';
import { createDatabase } from '../../src/store/database.ts';
import { createRedis } from '../../src/jobs/redis.ts';
import { DomainError } from '../../src/core/errors.ts';
import { ADMIN_URL } from '../support/postgres.ts';
import { freePort as closedPort } from '../support/local-server.ts';

async function failure(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('which dependency an error says is unreachable', () => {
  it('names the database when its pool cannot connect', async () => {
    const db = createDatabase({ url: `postgres://postgres@127.0.0.1:${await closedPort()}/test`, dataDir: '' });
    try {
      expect(unreachableDependency(await failure(() => sql`SELECT 1`.execute(db)))).toBe('database');
    } finally {
      await db.destroy();
    }
  });

  it('names the database when PostgreSQL terminates the connection under a query', async () => {
    const db = createDatabase({ url: ADMIN_URL, dataDir: '', poolSize: 1 });
    try {
      const error = await failure(() => sql`SELECT pg_terminate_backend(pg_backend_pid())`.execute(db));
      expect(unreachableDependency(error)).toBe('database');
    } finally {
      await db.destroy();
    }
  });

  it('names Redis when a command cannot be sent', async () => {
    const redis: Redis = createRedis(`redis://127.0.0.1:${await closedPort()}`);
    try {
      expect(unreachableDependency(await failure(() => redis.set('k', 'v')))).toBe('redis');
    } finally {
      redis.disconnect();
    }
  });

  it('names nothing for a failing query, a Slack or webhook call, or a user mistake', async () => {
    const db = createDatabase({ url: ADMIN_URL, dataDir: '' });
    try {
      expect(unreachableDependency(await failure(() => sql`SELECT * FROM no_such_table`.execute(db)))).toBeUndefined();
    } finally {
      await db.destroy();
    }
    const slack = `http://127.0.0.1:${await closedPort()}/api/chat.postMessage`;
    expect(unreachableDependency(await failure(() => fetch(slack)))).toBeUndefined();
    expect(unreachableDependency(new DomainError('invalid_input', 'Unknown service "x".'))).toBeUndefined();
  });
});
