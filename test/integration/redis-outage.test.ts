import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { findCard } from '../support/slack-views.ts';
import { realClockEnv } from '../support/process-env.ts';
import { freePort } from '../support/local-server.ts';

let redis: ChildProcess;
let h: Harness;

beforeAll(async () => {
  // A Redis of this test's own, so stopping it disturbs no other test.
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore', env: realClockEnv() });
  await new Promise((resolve) => setTimeout(resolve, 300));
  h = await startHarness({ store: 'pglite', env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
});

afterAll(async () => {
  redis?.kill('SIGCONT');
  await h?.stop();
  redis?.kill('SIGKILL');
});

async function ready(): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(`${h.baseUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('Redis going away for a few seconds', () => {
  it('turns /readyz to 503 naming Redis, then recovers and carries on with queued work', async () => {
    expect((await ready()).status).toBe(200);
    redis.kill('SIGSTOP');
    try {
      const during = await ready();
      expect(during.status).toBe(503);
      expect(during.body.redis).toMatch(/^down/);
      expect(during.body.database).toBe('ok');
      // Work done while Redis is away is committed; its effects wait in the outbox.
      const planned = await h.command('U0DEV', 'new payments 7.0.0');
      expect(planned.reply!.text).toContain('Planned *REL-1*');
    } finally {
      redis.kill('SIGCONT');
    }
    await waitFor(async () => (await ready()).status === 200, 'readiness to come back', 15_000);
    await waitFor(() => findCard(h.slack, 'C0PAY', 1), 'the card posted after Redis came back', 20_000);
  }, 40_000);
});
