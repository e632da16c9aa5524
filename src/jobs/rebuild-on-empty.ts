import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CoreContext } from '../core/context.ts';
import type { Waker } from '../core/ports/waker.ts';
import { rebuildJobs, type RebuiltJobs } from '../core/usecases/rebuild-jobs.ts';

/** The key whose absence tells relm that Redis lost what it held (a restart without persistence, a flush). */
export function markerKey(prefix: string, installation: string): string {
  return `${prefix}:${installation}:jobs-present`;
}

/**
 * Watches the queue's Redis connection: whenever it becomes ready (at boot and after every reconnect)
 * and the marker is gone, the jobs are rebuilt from PostgreSQL at once, then the marker is written.
 * The marker goes in last, so a rebuild cut short by Redis going away again is done again next time.
 */
export class EmptyRedisWatch {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #ctx: CoreContext;
  readonly #waker: Waker;
  readonly #log: Logger;
  readonly #onEmpty?: () => Promise<unknown>;
  readonly #timer?: NodeJS.Timeout;
  #running?: Promise<RebuiltJobs | undefined>;
  /** What the last rebuild did, and when it finished (for tests and the log). */
  last?: RebuiltJobs & { at: Date };

  /**
   * `onEmpty` puts back what else lived only in Redis (the recurring relay and sweep); `everyMs` also
   * looks for the marker on a timer, as a FLUSHALL empties Redis without a reconnect.
   */
  constructor(redis: Redis, options: { prefix: string; installation: string; ctx: CoreContext; waker: Waker; log: Logger; onEmpty?: () => Promise<unknown>; everyMs?: number }) {
    this.#redis = redis;
    this.#onEmpty = options.onEmpty;
    if (options.everyMs) {
      this.#timer = setInterval(() => void this.check(), options.everyMs);
      this.#timer.unref();
    }
    this.#key = markerKey(options.prefix, options.installation);
    this.#ctx = options.ctx;
    this.#waker = options.waker;
    this.#log = options.log;
    redis.on('ready', () => void this.check());
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Rebuilds if the marker is missing; resolves with what was rebuilt, or undefined when nothing was needed. */
  check(): Promise<RebuiltJobs | undefined> {
    this.#running ??= this.#check().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #check(): Promise<RebuiltJobs | undefined> {
    try {
      if (await this.#redis.exists(this.#key)) return undefined;
      const started = Date.now();
      await this.#onEmpty?.();
      const rebuilt = await rebuildJobs(this.#ctx, this.#waker);
      await this.#redis.set(this.#key, new Date().toISOString());
      this.last = { ...rebuilt, at: new Date() };
      this.#log.info({ ...rebuilt, ms: Date.now() - started }, 'Redis held none of relm\'s jobs: rebuilt the pending wake-ups and unfinished effects from the database');
      return rebuilt;
    } catch (error) {
      // Redis or the database went away again; the next 'ready' or timer catches up. Redis being down
      // is already reported (readiness, the outage log), so only another cause is worth a warning.
      this.#log[this.#redis.status === 'ready' ? 'warn' : 'debug']({ err: error }, 'could not rebuild the jobs yet');
      return undefined;
    }
  }
}
