import type { Redis } from 'ioredis';
import type { ChannelPacer } from '../integrations/slack/web-api.ts';

// GCRA over Redis's own clock: one theoretical arrival time per channel, shared by every process, so
// posts to one channel are spaced however many workers post to it.
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local spacing = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
tat = tat + spacing
redis.call('SET', KEYS[1], tat, 'PX', tat - now + 1000)
local wait = tat - now - burst * spacing
if wait < 0 then wait = 0 end
return wait
`;

/** Spaces chat.postMessage calls per channel across every worker process (Slack allows about one a second). */
export class RedisChannelPacer implements ChannelPacer {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #burst: number;

  /** `burst`: how many posts may go at once before the spacing holds (Slack allows short bursts). */
  constructor(redis: Redis, prefix: string, burst = 3) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#burst = burst;
  }

  async reserve(channel: string, spacingMs: number): Promise<number> {
    return Number(await this.#redis.eval(RESERVE, 1, `${this.#prefix}:pace:${channel}`, spacingMs, this.#burst));
  }
}
