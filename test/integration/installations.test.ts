import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { REDIS_URL, startHarness, type Harness } from '../support/harness.ts';
import { findCard } from '../support/slack-views.ts';
import { createRelm } from '../../src/app.ts';
import { loadRelmFile } from '../../src/config/relm-file.ts';
import { createLogger } from '../../src/log.ts';
import { ensureInstallationId } from '../../src/store/repositories/installation.ts';
import { BullWaker } from '../../src/jobs/rollout-queue.ts';

// Two installs of relm, each with its own database, sharing one Redis and one RELM_QUEUE_PREFIX. The
// relay is held off, so a card can only arrive through the job enqueued when the release was planned.
const prefix = `relmtest${randomBytes(4).toString('hex')}`;
let first: Harness;
let second: Harness;

beforeAll(async () => {
  first = await startHarness({ store: 'postgres', env: { RELM_QUEUE_PREFIX: prefix }, relayAfterMs: 600_000 });
  second = await startHarness({ store: 'postgres', env: { RELM_QUEUE_PREFIX: prefix }, relayAfterMs: 600_000 });
});

afterAll(async () => {
  await first?.stop();
  await second?.stop();
});

function cardsOf(h: Harness, id: number) {
  return h.slack.channelMessages('C0PAY').filter((m) => m.blocks[0]?.text?.text?.startsWith(`*REL-${id} ·`));
}

describe('installations sharing a Redis and a queue prefix', () => {
  it('each posts the card of its own REL-1 at once and exactly once', async () => {
    expect(first.relm.installationId).not.toBe(second.relm.installationId);
    expect((await first.command('U0DEV', 'new payments 1.0.0')).reply!.text).toContain('Planned *REL-1*');
    await first.settle();
    // The same outbox id, the same release number, on a Redis that holds the first install's finished job.
    expect((await second.command('U0DEV', 'new payments 9.9.9')).reply!.text).toContain('Planned *REL-1*');
    await second.settle();
    expect(cardsOf(first, 1)).toHaveLength(1);
    expect(cardsOf(second, 1)).toHaveLength(1);
    expect(JSON.stringify(findCard(first.slack, 'C0PAY', 1)!.blocks)).toContain('1.0.0');
    expect(JSON.stringify(findCard(second.slack, 'C0PAY', 1)!.blocks)).toContain('9.9.9');
  });

  it('keeps its installation id across restarts, and one id when processes boot together', async () => {
    const id = first.relm.installationId;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(await Promise.all([ensureInstallationId(first.relm.db, new Date()), ensureInstallationId(first.relm.db, new Date())])).toEqual([id, id]);
    await first.relm.stop();
    const again = await createRelm({ env: first.env, settings: loadRelmFile(first.env.RELM_CONFIG).settings, role: 'worker', log: createLogger('silent') });
    try {
      expect(again.installationId).toBe(id);
    } finally {
      await again.stop();
    }
  });
});

describe('rollout wake-ups', () => {
  it('are delayed by relm clock and named by the installation', async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    // A clock three days ahead of the machine's: the wake-up is five seconds away on it, not three days.
    const clock = () => new Date(Date.now() + 3 * 86_400_000);
    const installation = 'no-worker-takes-this';
    const waker = new BullWaker(redis, prefix, createLogger('silent'), { installation, clock });
    try {
      const at = new Date(clock().getTime() + 5_000);
      await waker.wakeAt(7, at);
      const job = await waker.queue.getJob(`${installation}-tick-7-${at.getTime()}`);
      expect(job).toBeDefined();
      expect(job!.delay).toBeGreaterThan(0);
      expect(job!.delay).toBeLessThanOrEqual(5_000);
      await job!.remove();
    } finally {
      await waker.close();
      redis.disconnect();
    }
  });
});
