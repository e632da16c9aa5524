import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import { enqueueOutbox } from '../../src/store/repositories/outbox.ts';
import { effectJobId } from '../../src/jobs/effects-queue.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { FakeDeployer } from '../support/fake-deployer.ts';
import { writeRolloutConfig } from '../support/rollout-config.ts';
import { findCard, planValues } from '../support/slack-views.ts';
import { realClockEnv } from '../support/process-env.ts';
import { freePort } from '../support/local-server.ts';

const SECRET_ENV = 'RELM_TEST_HOOK_SECRET';
const SECRET = 'emptied-redis-secret';
let port: number;
let redis: ChildProcess;
let h: Harness;
let deployer: FakeDeployer;

/** A Redis of this test's own that keeps nothing on disk, so a restart brings it back empty. */
async function startRedis(): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore', env: realClockEnv() });
  await new Promise((resolve) => setTimeout(resolve, 300));
  return child;
}

beforeAll(async () => {
  process.env[SECRET_ENV] = SECRET;
  port = await freePort();
  redis = await startRedis();
  deployer = await new FakeDeployer(SECRET).start();
  h = await startHarness({ store: 'postgres', env: { REDIS_URL: `redis://127.0.0.1:${port}` }, config: writeRolloutConfig({ deployerUrl: deployer.url, secretEnv: SECRET_ENV, bakes: '20s' }) });
});

afterAll(async () => {
  await h?.stop();
  await deployer?.stop();
  redis?.kill('SIGKILL');
});

async function ready(): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(`${h.baseUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

async function steps(id: number) {
  return h.relm.db.selectFrom('rollout_steps').select(['wave_name', 'state', 'started_at', 'bake_until']).where('release_id', '=', id).orderBy('id').execute();
}

describe('Redis killed during a rollout and back empty', () => {
  it('rebuilds the pending wake-up and the unfinished effects at once: the next wave starts on time, every step once', async () => {
    const at = new Date(Date.now() + 1_500);
    const planned = await h.command('U0DEV', `new hooks 3.0.0 --at ${at.toISOString()}`, { channel: 'C0HOOK' });
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    const edit = await h.command('U0DEV', `edit REL-${id}`, { channel: 'C0HOOK' });
    await h.submitView('U0DEV', edit.view, planValues({ version: '3.0.0', model: 'hooked', rollback: 'redeploy', evidence: 'ci', start: at }));
    await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0HOOK' });
    await h.command('U0APP1', `approve REL-${id}`, { channel: 'C0HOOK' });

    // Wave one bakes for 20 s; its end is a delayed job in Redis only.
    const baking = await waitFor(async () => (await steps(id)).find((s) => s.wave_name === 'one' && s.state === 'baking'), 'wave one to bake', 20_000);
    const bakeUntil = new Date(baking.bake_until!).getTime();
    // ...once the wake-up for it has been handed to the queue.
    await waitFor(async () => {
      const wakes = await h.relm.db.selectFrom('outbox').select(['state', 'payload']).where('kind', '=', 'wake').where('release_id', '=', id).execute();
      return wakes.some((w) => w.state === 'done' && new Date((w.payload as { at: string }).at).getTime() === bakeUntil);
    }, 'the bake\'s wake-up to be queued');

    redis.kill('SIGKILL');
    await once(redis, 'exit');
    const downAt = Date.now();
    const during = await waitFor(async () => {
      const r = await ready();
      return r.status === 503 ? r : undefined;
    }, 'readiness to fail');
    expect(during.body.redis).toMatch(/^down/);
    expect(during.body.database).toBe('ok');
    // A command while Redis is away is answered, and what it changes waits in the outbox.
    const plannedDuring = await h.command('U0DEV', 'new hooks 3.1.0', { channel: 'C0HOOK' });
    expect(plannedDuring.reply!.text).toContain('Planned *REL-');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, downAt + 10_000 - Date.now())));

    const backAt = Date.now();
    redis = await startRedis();
    await waitFor(async () => (await ready()).status === 200, 'readiness to come back', 15_000);
    const rebuilt = await waitFor(() => (h.relm.jobsWatch?.last && h.relm.jobsWatch.last.at.getTime() > backAt ? h.relm.jobsWatch.last : undefined), 'the jobs to be rebuilt', 10_000);
    expect(rebuilt.wakeUps).toBeGreaterThanOrEqual(1);
    expect(bakeUntil).toBeGreaterThan(rebuilt.at.getTime());

    await waitFor(async () => (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state === 'completed', 'the rollout to complete', 40_000);
    const done = await steps(id);
    expect(done.map((s) => [s.wave_name, s.state])).toEqual([
      ['one', 'succeeded'],
      ['two', 'succeeded'],
    ]);
    const lateMs = new Date(done[1]!.started_at!).getTime() - bakeUntil;
    console.log(`wave two started ${lateMs} ms after its due time; Redis was back ${bakeUntil - rebuilt.at.getTime()} ms before it`);
    expect(lateMs).toBeGreaterThanOrEqual(0);
    // The minute sweep alone would start it tens of seconds late; the rebuild puts its wake-up back.
    expect(lateMs).toBeLessThan(15_000);

    // Both waves' start lags are on /metrics.
    const scraped = await (await fetch(`${h.baseUrl}/metrics`)).text();
    expect(Number(/^relm_step_start_lag_seconds_count (\d+)/m.exec(scraped)?.[1])).toBeGreaterThanOrEqual(2);
    expect(deployer.calls.filter((c) => c.body.release.id === id).map((c) => c.body.wave)).toEqual(['one', 'two']);
    const started = await h.relm.db.selectFrom('audit_log').select('action').where('release_id', '=', id).where('action', '=', 'wave_started').execute();
    expect(started).toHaveLength(2);
    await h.settle(30_000);
    const effects = await h.relm.db.selectFrom('outbox').select(['kind', 'state']).execute();
    expect(effects.filter((e) => e.state !== 'done' && e.state !== 'withdrawn')).toEqual([]);
    const keys = h.slack.callsTo('chat.postMessage').filter((c) => c.args.metadata?.event_payload?.key).map((c) => c.args.metadata.event_payload.key);
    expect(keys.length).toBe(new Set(keys).size);
    // The release planned while Redis was away has its card.
    expect(findCard(h.slack, 'C0HOOK', id + 1)).toBeDefined();
  }, 90_000);

  it('notices a Redis emptied without a reconnect (FLUSHALL), puts back the recurring relay and sweep, and a held notice waits for its moment again', async () => {
    const client = new Redis(`redis://127.0.0.1:${port}`);
    // A personal notice held for its reader's morning: an outbox row with a moment of its own.
    const later = new Date(Date.now() + 3_600_000);
    const [noticeId] = await enqueueOutbox(h.relm.db, [{ kind: 'audience_dm', releaseId: 1, dedupeKey: 'test:held-notice', payload: { releaseId: 1, user: 'U0READER' }, notBefore: later }], new Date());
    try {
      const flushedAt = Date.now();
      await client.flushall();
      const rebuilt = await waitFor(() => (h.relm.jobsWatch?.last && h.relm.jobsWatch.last.at.getTime() > flushedAt ? h.relm.jobsWatch.last : undefined), 'the jobs to be rebuilt after FLUSHALL', 15_000);
      expect(rebuilt.at.getTime() - flushedAt).toBeLessThan(12_000);
      const queues = h.relm.ctx.effects as unknown as { queue: Queue; notices: Queue };
      expect((await queues.queue.getJobSchedulers()).map((s) => s.key)).toContain('outbox-relay');
      expect(rebuilt.effects).toBeGreaterThanOrEqual(1);
      // Back on its lane under its own job id, still waiting for its moment.
      const job = await queues.notices.getJob(effectJobId(h.relm.installationId, noticeId!));
      expect(await job?.getState()).toBe('delayed');
      expect(Math.abs(job!.timestamp + job!.delay - later.getTime())).toBeLessThan(5_000);
    } finally {
      client.disconnect();
    }
  }, 30_000);
});
