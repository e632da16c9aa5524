import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisChannelPacer } from '../../src/jobs/channel-pacer.ts';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `relmtest${randomBytes(4).toString('hex')}`;

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('the channel pacer (Slack allows about one post a second per channel)', () => {
  it('lets a burst through, then spaces posts a second apart, per channel, for every process sharing Redis', async () => {
    // Two pacers stand for two worker processes: they share the channel's schedule through Redis.
    const one = new RedisChannelPacer(redis, prefix, 2);
    const two = new RedisChannelPacer(redis, prefix, 2);
    const waits = [];
    for (const pacer of [one, two, one, two, one]) waits.push(await pacer.reserve('C0BUSY', 1_000));
    // Reserved within a few milliseconds of each other: 0, 0, then about 1, 2 and 3 seconds.
    expect(waits.slice(0, 2)).toEqual([0, 0]);
    for (const [i, wait] of waits.slice(2).entries()) {
      expect(wait).toBeGreaterThan((i + 1) * 1_000 - 100);
      expect(wait).toBeLessThanOrEqual((i + 1) * 1_000);
    }
    // Another channel has its own schedule.
    expect(await one.reserve('C0QUIET', 1_000)).toBe(0);
  });
});
