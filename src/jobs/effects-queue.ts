import { createHash } from 'node:crypto';
import { DelayedError, Queue, Worker, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CoreContext, DispatchOptions, EffectDispatcher, EffectLane } from '../core/context.ts';
import { performEffect, type EffectOutcome } from '../core/effects/perform.ts';
import { effectOf } from '../core/effects/index.ts';
import { RateLimitedError } from '../core/effects/errors.ts';
import type { EffectPorts } from '../core/ports/effect-ports.ts';
import { STRANDED_PAGE, strandedOutbox } from '../store/repositories/outbox.ts';
import { pruneDeliveries } from '../store/repositories/deliveries.ts';

export const EFFECTS_QUEUE = 'effects';
export const NOTICES_QUEUE = 'notices';

interface EffectJob {
  outboxId: number;
  /** The effects of one transaction, performed in order by one job (a card before its thread note). */
  outboxIds?: number[];
}

/**
 * One installation's effects queue: a worker takes only the jobs of its own database, even where
 * several installs share a Redis and a RELM_QUEUE_PREFIX.
 */
export function effectsQueueName(installation: string, lane: EffectLane = 'effects'): string {
  return `${lane === 'notices' ? NOTICES_QUEUE : EFFECTS_QUEUE}-${installation}`;
}

/** The lane a kind of effect is performed on. */
export function laneOf(kind: string): EffectLane {
  return effectOf(kind)?.traits.lane ?? 'effects';
}

/**
 * Job ids are derived from the outbox row and the database's installation id, so enqueueing the same
 * row twice is one job, and a job left in Redis by another database can never stand in for this one's.
 */
export function effectJobId(installation: string, outboxId: number): string {
  return `${installation}-outbox-${outboxId}`;
}

/** How a failing effect is retried by its job; after the last attempt the relay re-queues it. */
export interface RetrySchedule {
  attempts: number;
  /** The wait before the first retry; each later wait doubles... */
  firstDelayMs: number;
  /** ...up to this. */
  maxDelayMs: number;
}

/** 1, 2, 4, 8, 16, 32 s, then every 60 s: 12 attempts in about 6 minutes, then a fresh round. */
export const DEFAULT_EFFECT_RETRY: RetrySchedule = { attempts: 12, firstDelayMs: 1_000, maxDelayMs: 60_000 };

const BACKOFF = 'capped-exponential';

/** The wait after the `attemptsMade`-th failed attempt. */
export function retryDelayMs(schedule: RetrySchedule, attemptsMade: number): number {
  return Math.min(schedule.maxDelayMs, schedule.firstDelayMs * 2 ** Math.min(Math.max(attemptsMade - 1, 0), 30));
}

function jobOptions(schedule: RetrySchedule) {
  return {
    attempts: schedule.attempts,
    backoff: { type: BACKOFF, delay: schedule.firstDelayMs },
    // Kept an hour, so a second enqueue of a row that is already queued or just finished adds nothing.
    removeOnComplete: { age: 3_600, count: 10_000 },
    removeOnFail: { age: 24 * 3_600 },
  };
}

/**
 * A personal notice's job is kept only briefly once done: thousands wait at a time, and its outbox row,
 * not the job, is what keeps it from being sent twice.
 */
const NOTICE_JOB_RETENTION = { removeOnComplete: { age: 300, count: 1_000 } };

/** What the relay did with a row still owed an attempt. */
export type Requeued = 'queued' | 'revived' | 'waiting';

/** Enqueues outbox rows on BullMQ. Never throws: a row it could not enqueue is picked up by the relay. */
export class BullEffectDispatcher implements EffectDispatcher {
  readonly queue: Queue<EffectJob>;
  /** Personal notices: one job per message, rate-limited across every worker (see startEffectsWorker). */
  readonly notices: Queue<EffectJob>;
  readonly installation: string;
  readonly #log: Logger;
  readonly #jobOptions: ReturnType<typeof jobOptions>;
  readonly #clock: () => Date;

  constructor(connection: Redis, prefix: string, log: Logger, options: { installation: string; retry?: RetrySchedule; clock?: () => Date }) {
    this.installation = options.installation;
    this.queue = new Queue<EffectJob>(effectsQueueName(options.installation), { connection, prefix });
    this.notices = new Queue<EffectJob>(effectsQueueName(options.installation, 'notices'), { connection, prefix });
    for (const queue of [this.queue, this.notices]) queue.on('error', (error) => log.warn({ err: error }, 'effects queue error'));
    this.#log = log;
    this.#jobOptions = jobOptions(options.retry ?? DEFAULT_EFFECT_RETRY);
    this.#clock = options.clock ?? (() => new Date());
  }

  #queueOf(lane: EffectLane | undefined): Queue<EffectJob> {
    return lane === 'notices' ? this.notices : this.queue;
  }

  /** A wait until `notBefore` on relm's clock, as BullMQ's delay (which counts on the host's). */
  #delayTo(notBefore: Date | undefined): number {
    return notBefore ? Math.max(0, notBefore.getTime() - this.#clock().getTime()) : 0;
  }

  async dispatch(outbox: number[] | number[][], options: DispatchOptions = {}): Promise<void> {
    let groups = (outbox.length > 0 && Array.isArray(outbox[0]) ? (outbox as number[][]) : [outbox as number[]]).filter((g) => g.length > 0);
    if (groups.length === 0) return;
    if (options.lane === 'notices') groups = groups.flat().map((id) => [id]);
    const delay = this.#delayTo(options.notBefore);
    try {
      // One job per transaction's effects (per release, for a batch): fewer jobs through Redis, and the
      // effects run in the order written.
      await this.#queueOf(options.lane).addBulk(
        groups.map((ids) => ({
          name: 'effect',
          data: ids.length === 1 ? { outboxId: ids[0]! } : { outboxId: ids[0]!, outboxIds: ids },
          opts: { ...this.#jobOptions, ...(options.lane === 'notices' ? NOTICE_JOB_RETENTION : {}), ...(delay ? { delay } : {}), jobId: ids.length === 1 ? effectJobId(this.installation, ids[0]!) : `${this.installation}-outbox-batch-${createHash('sha1').update(ids.join(',')).digest('hex')}` },
        })),
      );
    } catch (error) {
      this.#log.warn({ err: error, outbox }, 'could not enqueue effects now; the outbox relay will');
    }
  }

  async withdraw(outboxIds: number[], lane?: EffectLane): Promise<void> {
    const queue = this.#queueOf(lane);
    for (let i = 0; i < outboxIds.length; i += 100) {
      // A job that is running now, or already gone, is left: it finds its row withdrawn and does nothing.
      await Promise.all(outboxIds.slice(i, i + 100).map((id) => queue.remove(effectJobId(this.installation, id)).catch(() => 0)));
    }
  }

  /**
   * Puts a row still owed an attempt back in hand: adds its job when there is none (a crash between
   * commit and enqueue, a Redis that came back empty), revives the job when its retries ran out or it
   * ended without doing the row (an outage longer than the retry schedule), and leaves a job alone
   * while it waits or runs. Reviving keeps the job id, so it can never be doubled by a second job.
   */
  async requeue(outboxId: number, lane: EffectLane = 'effects', deferred = false): Promise<Requeued> {
    const queue = this.#queueOf(lane);
    const job = await queue.getJob(effectJobId(this.installation, outboxId));
    const state = job ? await job.getState() : 'unknown';
    if (job && deferred && state === 'delayed') {
      // Its moment has come on relm's clock while its job still waits by the host's (a clock set back,
      // or a job delayed by a longer guess): it goes now.
      await job.promote().catch(() => {});
      return 'revived';
    }
    if (job && (state === 'failed' || state === 'completed')) {
      try {
        await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
        return 'revived';
      } catch (error) {
        // Removed or moved in the meantime: whatever is there now is looked at again next pass.
        this.#log.debug({ err: error, outboxId }, 'could not revive an effect job');
        return 'waiting';
      }
    }
    if (state !== 'unknown') return 'waiting';
    await queue.add('effect', { outboxId, outboxIds: [outboxId] }, { ...this.#jobOptions, jobId: effectJobId(this.installation, outboxId) });
    return 'queued';
  }

  /** The recurring relay that re-queues what a crash left behind or an outage outlasted (see requeue). */
  async scheduleMaintenance(everyMs = 5_000): Promise<void> {
    await this.queue.upsertJobScheduler('outbox-relay', { every: everyMs }, { name: 'relay', data: { outboxId: 0 }, opts: { removeOnComplete: true, removeOnFail: 100 } });
    await this.queue.upsertJobScheduler('prune-deliveries', { every: 3_600_000 }, { name: 'prune', data: { outboxId: 0 }, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }

  async close(): Promise<void> {
    await Promise.all([this.queue.close(), this.notices.close()]);
  }
}

export interface EffectsWorkerOptions {
  connection: Redis;
  prefix: string;
  ctx: CoreContext;
  ports: EffectPorts;
  dispatcher: BullEffectDispatcher;
  log: Logger;
  /** The waits between attempts (the attempts themselves are set where jobs are added). */
  retry?: RetrySchedule;
  concurrency?: number;
  /** How old an unfinished outbox row must be before the relay takes it as stranded. */
  relayAfterMs?: number;
  lockDurationMs?: number;
  /** Personal notices per second across every worker process (Slack's workspace-wide posting limit). */
  noticesPerSecond?: number;
}

/** The wait before retrying: the schedule's, or longer when the error says how long (a 429's Retry-After). */
function backoffAfter(schedule: RetrySchedule, attemptsMade: number, error?: Error): number {
  const wait = retryDelayMs(schedule, attemptsMade);
  return error instanceof RateLimitedError ? Math.max(wait, error.retryAfterMs) : wait;
}

/**
 * The effects workers: one on the effects lane, and one on the notices lane whose limiter is kept in
 * Redis, so however many worker processes run, together they post no faster than Slack allows; a 429
 * pauses the lane in every process for the Retry-After Slack gave.
 */
export function startEffectsWorker(options: EffectsWorkerOptions): Worker<EffectJob>[] {
  const { ctx, ports, log, dispatcher } = options;
  const schedule = options.retry ?? DEFAULT_EFFECT_RETRY;
  // Where the last relay pass stopped: rows still waiting for their retries are passed over in pages,
  // so however many are waiting, each row is looked at within a few passes.
  let relayFrom = 0;

  /** A row whose moment has not come: its job waits until then (a job of several hands it its own). */
  async function postpone(job: Job<EffectJob>, id: number, until: Date, token: string | undefined, lane: EffectLane): Promise<'postponed' | 'delayed'> {
    const ids = job.data.outboxIds ?? [job.data.outboxId];
    if (ids.length === 1 && token) {
      await job.moveToDelayed(Date.now() + Math.max(0, until.getTime() - ctx.clock().getTime()), token);
      return 'delayed';
    }
    await dispatcher.dispatch([id], { lane, notBefore: until });
    return 'postponed';
  }

  const processor = (lane: EffectLane) => async (job: Job<EffectJob>, token?: string) => {
    if (job.name === 'relay') {
      const now = ctx.clock();
      const stranded = await strandedOutbox(ctx.db, new Date(now.getTime() - (options.relayAfterMs ?? 15_000)), now, { afterId: relayFrom });
      relayFrom = stranded.length === STRANDED_PAGE ? stranded[stranded.length - 1]!.id : 0;
      const done: Record<Requeued, number[]> = { queued: [], revived: [], waiting: [] };
      // One job per row: each keeps its own retries, and a row stuck waiting cannot hold up others.
      for (const row of stranded) done[await dispatcher.requeue(row.id, laneOf(row.kind), row.deferred)].push(row.id);
      if (done.revived.length) log.info({ outboxIds: done.revived }, 'effects whose retries ran out are tried again');
      return { queued: done.queued.length, revived: done.revived.length, waiting: done.waiting.length };
    }
    if (job.name === 'prune') {
      await pruneDeliveries(ctx.db, new Date(ctx.clock().getTime() - 24 * 3_600_000));
      return {};
    }
    const ids = job.data.outboxIds ?? [job.data.outboxId];
    const outcomes: string[] = [];
    let retry: unknown;
    let delayed = false;
    for (const id of ids) {
      // A done effect is skipped on a retry; one that cannot proceed yet does not hold up the rest.
      try {
        const outcome: EffectOutcome = await performEffect(ctx, ports, id);
        // Leased by another attempt: try again after a backoff, by when it is done or its lease has run out.
        if (outcome === 'busy') throw new Error(`effect ${id} is being performed by another attempt`);
        if (typeof outcome === 'object') {
          const how = await postpone(job, id, outcome.deferredUntil, token, lane);
          delayed ||= how === 'delayed';
          outcomes.push(how);
        } else outcomes.push(outcome);
      } catch (error) {
        retry ??= error;
        outcomes.push('retry');
      }
    }
    if (retry instanceof RateLimitedError && lane === 'notices' && ids.length === 1) {
      // Every notices worker, in every process, holds off for as long as Slack asked.
      await noticesWorker.rateLimit(retry.retryAfterMs);
      throw Worker.RateLimitError();
    }
    if (retry) throw retry;
    if (delayed) throw new DelayedError();
    if (ids.length === 1 && outcomes[0] === 'failed') throw new UnrecoverableError(`effect ${ids[0]} failed for good`);
    return { outcomes };
  };

  const common = {
    connection: options.connection,
    prefix: options.prefix,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: Math.min(options.lockDurationMs ?? 30_000, 30_000),
    settings: { backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) => backoffAfter(schedule, attemptsMade, error) },
  };
  const effectsWorker = new Worker<EffectJob>(effectsQueueName(dispatcher.installation), processor('effects'), {
    ...common,
    // Fewer slots than the rollout queue: when many waves fall due at once, starting them on time
    // matters more than how soon their cards and notes reach Slack (which rate-limits posts anyway).
    concurrency: options.concurrency ?? 6,
  });
  const noticesWorker: Worker<EffectJob> = new Worker<EffectJob>(effectsQueueName(dispatcher.installation, 'notices'), processor('notices'), {
    ...common,
    // Enough slots that one process alone can keep up with the limiter if its peers die.
    concurrency: 32,
    limiter: noticesLimiter(options.noticesPerSecond ?? DEFAULT_NOTICES_PER_SECOND),
  });
  for (const worker of [effectsWorker, noticesWorker]) {
    worker.on('failed', (job, error) => {
      if (!(error instanceof RateLimitedError)) log.warn({ err: error, jobId: job?.id, attempts: job?.attemptsMade }, 'effect failed');
    });
    worker.on('error', (error) => log.warn({ err: error }, 'effects worker error'));
  }
  return [effectsWorker, noticesWorker];
}

/**
 * The notices rate as a BullMQ limiter of about a tenth of a second: the limiter is a fixed window, so
 * a one-second window lets a whole second's posts start at once after a pause, and every one beyond
 * what Slack takes in that instant comes back a 429; a short window spreads them over the second.
 */
export function noticesLimiter(perSecond: number): { max: number; duration: number } {
  const max = Math.max(1, Math.floor(perSecond / 10));
  // Rounded up, so the limiter is never faster than the rate asked for.
  return { max, duration: Math.ceil((1_000 * max) / perSecond) };
}

/** Slack publishes no workspace-wide figure for chat.postMessage; 20 a second stays well clear of it. */
export const DEFAULT_NOTICES_PER_SECOND = 20;
