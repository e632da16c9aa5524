import { Redis } from 'ioredis';

/**
 * BullMQ workers block on Redis, so their connections must never give up on a command
 * (maxRetriesPerRequest: null); they reconnect for as long as the process lives.
 */
export function createRedis(url: string, options: { forWorker?: boolean; name?: string } = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: options.forWorker ? null : 2,
    enableOfflineQueue: options.forWorker ? true : false,
    // A request path must never hang on an unresponsive Redis: enqueueing fails fast and the outbox
    // relay enqueues later. Workers block on Redis by design, so they get no timeout.
    ...(options.forWorker ? {} : { commandTimeout: 1_500 }),
    connectionName: options.name,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    lazyConnect: false,
  });
  // Errors surface through commands and readiness; an unhandled 'error' event would crash the process.
  redis.on('error', () => {});
  return redis;
}
