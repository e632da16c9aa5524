import { createHash } from 'node:crypto';
import { Queue, Worker, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CoreContext, EffectDispatcher } from '../core/context.ts';
import { performEffect, type EffectPorts } from '../core/usecases/perform-effect.ts';
import { strandedOutbox } from '../store/repositories/outbox.ts';
import { pruneDeliveries } from '../store/repositories/deliveries.ts';

export const EFFECTS_QUEUE = 'effects';

interface EffectJob {
  outboxId: number;
  /** The effects of one transaction, performed in order by one job (a card before its thread note). */
  outboxIds?: number[];
}

/**
 * One installation's effects queue: a worker takes only the jobs of its own database, even where
 * several installs share a Redis and a RELM_QUEUE_PREFIX.
 */
export function effectsQueueName(installation: string): string {
  return `${EFFECTS_QUEUE}-${installation}`;
}

/**
 * Job ids are derived from the outbox row and the database's installation id, so enqueueing the same
 * row twice is one job, and a job left in Redis by another database can never stand in for this one's.
 */
export function effectJobId(installation: string, outboxId: number): string {
  return `${installation}-outbox-${outboxId}`;
}

const JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  // Kept an hour, so a relay pass over a row that is already queued or just finished adds nothing.
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 24 * 3_600 },
} as const;

/** Enqueues outbox rows on BullMQ. Never throws: a row it could not enqueue is picked up by the relay. */
export class BullEffectDispatcher implements EffectDispatcher {
  readonly queue: Queue<EffectJob>;
  readonly installation: string;
  readonly #log: Logger;

  constructor(connection: Redis, prefix: string, log: Logger, options: { installation: string }) {
    this.installation = options.installation;
    this.queue = new Queue<EffectJob>(effectsQueueName(options.installation), { connection, prefix });
    this.queue.on('error', (error) => log.warn({ err: error }, 'effects queue error'));
    this.#log = log;
  }

  async dispatch(outbox: number[] | number[][]): Promise<void> {
    const groups = (outbox.length > 0 && Array.isArray(outbox[0]) ? (outbox as number[][]) : [outbox as number[]]).filter((g) => g.length > 0);
    if (groups.length === 0) return;
    try {
      // One job per transaction's effects (per release, for a batch): fewer jobs through Redis, and the
      // effects run in the order written.
      await this.queue.addBulk(
        groups.map((ids) => ({
          name: 'effect',
          data: { outboxId: ids[0]!, outboxIds: ids },
          opts: { ...JOB_OPTIONS, jobId: ids.length === 1 ? effectJobId(this.installation, ids[0]!) : `${this.installation}-outbox-batch-${createHash('sha1').update(ids.join(',')).digest('hex')}` },
        })),
      );
    } catch (error) {
      this.#log.warn({ err: error, outbox }, 'could not enqueue effects now; the outbox relay will');
    }
  }

  /** The recurring sweep that re-enqueues what a crash between commit and enqueue left behind. */
  async scheduleMaintenance(everyMs = 5_000): Promise<void> {
    await this.queue.upsertJobScheduler('outbox-relay', { every: everyMs }, { name: 'relay', data: { outboxId: 0 }, opts: { removeOnComplete: true, removeOnFail: 100 } });
    await this.queue.upsertJobScheduler('prune-deliveries', { every: 3_600_000 }, { name: 'prune', data: { outboxId: 0 }, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface EffectsWorkerOptions {
  connection: Redis;
  prefix: string;
  ctx: CoreContext;
  ports: EffectPorts;
  dispatcher: BullEffectDispatcher;
  log: Logger;
  concurrency?: number;
  /** How old an unfinished outbox row must be before the relay takes it as stranded. */
  relayAfterMs?: number;
  lockDurationMs?: number;
}

export function startEffectsWorker(options: EffectsWorkerOptions): Worker<EffectJob> {
  const { ctx, ports, log } = options;
  const worker = new Worker<EffectJob>(
    effectsQueueName(options.dispatcher.installation),
    async (job: Job<EffectJob>) => {
      if (job.name === 'relay') {
        const stranded = await strandedOutbox(ctx.db, new Date(ctx.clock().getTime() - (options.relayAfterMs ?? 15_000)));
        // One job per row: each keeps its own retries, and a row stuck waiting cannot hold up others.
        for (const id of stranded) await options.dispatcher.dispatch([id]);
        return { relayed: stranded.length };
      }
      if (job.name === 'prune') {
        await pruneDeliveries(ctx.db, new Date(ctx.clock().getTime() - 24 * 3_600_000));
        return {};
      }
      const ids = job.data.outboxIds ?? [job.data.outboxId];
      const outcomes: string[] = [];
      let retry: unknown;
      for (const id of ids) {
        // A done effect is skipped on a retry; one that cannot proceed yet does not hold up the rest.
        try {
          const outcome = await performEffect(ctx, ports, id);
          // Leased by another attempt: try again after a backoff, by when it is done or its lease has run out.
          if (outcome === 'busy') throw new Error(`effect ${id} is being performed by another attempt`);
          outcomes.push(outcome);
        } catch (error) {
          retry ??= error;
          outcomes.push('retry');
        }
      }
      if (retry) throw retry;
      if (ids.length === 1 && outcomes[0] === 'failed') throw new UnrecoverableError(`effect ${ids[0]} failed for good`);
      return { outcomes };
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      // Fewer slots than the rollout queue: when many waves fall due at once, starting them on time
      // matters more than how soon their cards and notes reach Slack (which rate-limits posts anyway).
      concurrency: options.concurrency ?? 6,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: Math.min(options.lockDurationMs ?? 30_000, 30_000),
    },
  );
  worker.on('failed', (job, error) => log.warn({ err: error, jobId: job?.id, attempts: job?.attemptsMade }, 'effect failed'));
  worker.on('error', (error) => log.warn({ err: error }, 'effects worker error'));
  return worker;
}
