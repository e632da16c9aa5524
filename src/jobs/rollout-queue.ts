import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CoreContext } from '../core/context.ts';
import type { Waker } from '../core/ports/waker.ts';
import { advanceRollouts } from '../core/usecases/rollout/advance.ts';
import { releasesToSweep } from '../store/repositories/releases.ts';
import { TickBatcher } from './tick-batcher.ts';
import { chaseApprovals } from '../core/usecases/chase-approvals.ts';
import { chaseReviews } from '../core/usecases/chase-reviews.ts';

export const ROLLOUT_QUEUE = 'rollout';

/** One installation's rollout queue (see effectsQueueName). */
export function rolloutQueueName(installation: string): string {
  return `${ROLLOUT_QUEUE}-${installation}`;
}

interface TickJob {
  releaseId: number;
  /** When the tick is due (ms since the epoch); the job is taken a little earlier and held until then. */
  dueAt?: number;
}

/**
 * How long before its due time a wake-up is handed to a worker. Taking a job from Redis costs a round
 * trip per job, so a burst of waves due in the same second would otherwise start one by one; taken
 * early, the jobs wait in the workers and are ticked together the moment they are due, never before.
 */
export const WAKE_LEAD_MS = 2_000;

/**
 * Wakes rollouts with BullMQ delayed jobs. The job id is the installation, the release and the due time,
 * so asking twice for the same wake-up is one job, a moved schedule is simply a new job (the old one
 * finds nothing due), and a wake-up of another database's release of the same number is another job.
 */
export class BullWaker implements Waker {
  readonly queue: Queue<TickJob>;
  readonly installation: string;
  readonly #clock: () => Date;

  constructor(connection: Redis, prefix: string, log: Logger, options: { installation: string; clock: () => Date }) {
    this.installation = options.installation;
    this.#clock = options.clock;
    this.queue = new Queue<TickJob>(rolloutQueueName(options.installation), { connection, prefix });
    this.queue.on('error', (error) => log.warn({ err: error }, 'rollout queue error'));
  }

  async wakeAt(releaseId: number, at: Date): Promise<void> {
    await this.queue.add(
      'tick',
      { releaseId, dueAt: at.getTime() },
      {
        jobId: `${this.installation}-tick-${releaseId}-${at.getTime()}`,
        // Due by relm's clock, which is the one `at` was reckoned on.
        delay: Math.max(0, at.getTime() - this.#clock().getTime() - WAKE_LEAD_MS),
        attempts: 10,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: { age: 3_600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3_600 },
      },
    );
  }

  /**
   * A safety net under the delayed wake-ups: every minute, tick every release that is in progress or
   * due. Ticks are idempotent, so this only ever catches up what a lost or exhausted job left behind.
   */
  async scheduleSweep(everyMs = 60_000): Promise<void> {
    await this.queue.upsertJobScheduler('rollout-sweep', { every: everyMs }, { name: 'sweep', data: { releaseId: 0 }, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface RolloutWorkerOptions {
  connection: Redis;
  prefix: string;
  installation: string;
  ctx: CoreContext;
  log: Logger;
  concurrency?: number;
  /** How long a job's lock lasts before another worker takes a job whose worker died. */
  lockDurationMs?: number;
}

export function startRolloutWorker(options: RolloutWorkerOptions): Worker<TickJob> {
  const batcher = new TickBatcher((ids, wait) => advanceRollouts(options.ctx, ids, { skipLocked: !wait }));
  const worker = new Worker<TickJob>(
    rolloutQueueName(options.installation),
    async (job: Job<TickJob>) => {
      if (job.name === 'sweep') {
        const ids = await releasesToSweep(options.ctx.db, options.ctx.clock());
        const ticked = await Promise.allSettled(ids.map((id) => batcher.tick(id)));
        ticked.forEach((r, i) => r.status === 'rejected' && options.log.warn({ err: r.reason, releaseId: ids[i] }, 'sweep tick failed'));
        // The same minute's sweep chases approval requests that wait past the policy's remind_after.
        const chased = await chaseApprovals(options.ctx).catch((error: unknown) => {
          options.log.warn({ err: error }, 'chasing approvals failed');
          return 0;
        });
        // …and reminds the owners and release managers of required post-release reviews not yet written.
        const reviews = await chaseReviews(options.ctx).catch((error: unknown) => {
          options.log.warn({ err: error }, 'chasing reviews failed');
          return 0;
        });
        return { swept: ids.length, chased, reviews };
      }
      const early = (job.data.dueAt ?? 0) - options.ctx.clock().getTime();
      // Bounded, so a due time far off (a clock that disagrees) cannot park a job for long.
      if (early > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(early, WAKE_LEAD_MS + 1_000)));
      const release = await batcher.tick(job.data.releaseId);
      return { state: release?.state ?? 'gone' };
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      // Many jobs in hand at once, so a burst of due waves is ticked in a few batches (TickBatcher).
      concurrency: options.concurrency ?? 1_000,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: Math.min(options.lockDurationMs ?? 30_000, 30_000),
    },
  );
  worker.on('failed', (job, error) => options.log.warn({ err: error, jobId: job?.id }, 'rollout tick failed'));
  worker.on('error', (error) => options.log.warn({ err: error }, 'rollout worker error'));
  return worker;
}
