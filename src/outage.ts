import type { Logger } from 'pino';
import { DatabaseUnreachableError } from './store/database.ts';

export type Dependency = 'database' | 'redis';

/** PostgreSQL SQLSTATEs of a server shutting down, starting up or refusing connections (class 08, 57P0x). */
const POSTGRES_DOWN = /^(08\d{3}|57P0[1-3])$/;
/** pg's own words for a connection that died under a query. */
const PG_TERMINATED = /^Connection terminated/;
/** ioredis's words for a command it could not send: no connection, retries exhausted, no answer in time. */
const REDIS_DOWN = /^(Connection is closed|Stream isn't writeable|Reached the max retries per request limit|Command timed out)/;

function chain(error: unknown): Record<string, unknown>[] {
  const errors: Record<string, unknown>[] = [];
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    errors.push(e as Record<string, unknown>);
    e = (e as { original?: unknown }).original ?? (e as { cause?: unknown }).cause;
  }
  return errors;
}

/**
 * Which dependency an error says relm cannot reach, if that is what it says: the database's pool could
 * not connect, PostgreSQL is shutting down or dropped the connection, or Redis is down. Anything
 * else (a failing query, a Slack or Jira error) is not an outage of ours.
 */
export function unreachableDependency(error: unknown): Dependency | undefined {
  for (const e of chain(error)) {
    const message = typeof e.message === 'string' ? e.message : '';
    if (e instanceof DatabaseUnreachableError || (typeof e.code === 'string' && POSTGRES_DOWN.test(e.code)) || PG_TERMINATED.test(message)) return 'database';
    if (e.name === 'MaxRetriesPerRequestError' || REDIS_DOWN.test(message)) return 'redis';
  }
  return undefined;
}

/** What a user is told while a dependency is unreachable. */
export function outageMessage(dependency: Dependency): string {
  return dependency === 'database'
    ? 'relm cannot reach its database; nothing was changed, try again in a minute.'
    : 'relm cannot reach Redis, where it queues its work; try again in a minute.';
}

/**
 * One warning when a dependency becomes unreachable and one line when it answers again, however many
 * requests fail in between: an outage is an expected condition, not an error per request. While one
 * lasts, `probe` is tried every few seconds to notice the end.
 */
export class OutageTracker {
  readonly #log: Logger;
  readonly #probes: Record<Dependency, () => Promise<unknown>>;
  readonly #everyMs: number;
  readonly #open = new Map<Dependency, { since: number; requests: number; timer: NodeJS.Timeout }>();

  constructor(log: Logger, probes: Record<Dependency, () => Promise<unknown>>, everyMs = 2_000) {
    this.#log = log;
    this.#probes = probes;
    this.#everyMs = everyMs;
  }

  /** Counts a request turned away because `dependency` is unreachable; the first of an outage warns. */
  report(dependency: Dependency, error: unknown): void {
    const open = this.#open.get(dependency);
    if (open) {
      open.requests++;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.#log.warn({ dependency, reason: message }, `${dependency} unreachable: requests are answered "try again in a minute" until it is back`);
    const timer = setInterval(() => void this.#check(dependency), this.#everyMs);
    timer.unref();
    this.#open.set(dependency, { since: Date.now(), requests: 1, timer });
  }

  async #check(dependency: Dependency): Promise<void> {
    const open = this.#open.get(dependency);
    if (!open) return;
    try {
      await this.#probes[dependency]();
    } catch {
      return;
    }
    clearInterval(open.timer);
    this.#open.delete(dependency);
    this.#log.info({ dependency, downForMs: Date.now() - open.since, requestsTurnedAway: open.requests }, `${dependency} reachable again`);
  }

  stop(): void {
    for (const open of this.#open.values()) clearInterval(open.timer);
    this.#open.clear();
  }
}
