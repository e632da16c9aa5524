import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CoreContext } from '../core/context.ts';
import type { Waker } from '../core/usecases/perform-effect.ts';
import { advanceRollout } from '../core/usecases/rollout/advance.ts';
import { releasesToSweep } from '../store/repositories/releases.ts';

export const ROLLOUT_QUEUE = 'rollout';

interface TickJob {
  releaseId: number;
}

/**
 * Wakes rollouts with BullMQ delayed jobs. The job id is the release and the due time, so asking twice
 * for the same wake-up is one job, and a moved schedule is simply a new job (the old one finds nothing due).
 */
export class BullWaker implements Waker {
  readonly queue: Queue<TickJob>;

  constructor(connection: Redis, prefix: string, log: Logger) {
    this.queue = new Queue<TickJob>(ROLLOUT_QUEUE, { connection, prefix });
    this.queue.on('error', (error) => log.warn({ err: error }, 'rollout queue error'));
  }

  async wakeAt(releaseId: number, at: Date): Promise<void> {
    await this.queue.add(
      'tick',
      { releaseId },
      {
        jobId: `tick-${releaseId}-${at.getTime()}`,
        delay: Math.max(0, at.getTime() - Date.now()),
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
  ctx: CoreContext;
  log: Logger;
  concurrency?: number;
  /** How long a job's lock lasts before another worker takes a job whose worker died. */
  lockDurationMs?: number;
}

export function startRolloutWorker(options: RolloutWorkerOptions): Worker<TickJob> {
  const worker = new Worker<TickJob>(
    ROLLOUT_QUEUE,
    async (job: Job<TickJob>) => {
      if (job.name === 'sweep') {
        const ids = await releasesToSweep(options.ctx.db, options.ctx.clock());
        for (const id of ids) await advanceRollout(options.ctx, id).catch((error) => options.log.warn({ err: error, releaseId: id }, 'sweep tick failed'));
        return { swept: ids.length };
      }
      const release = await advanceRollout(options.ctx, job.data.releaseId);
      return { state: release.state };
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 32,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: Math.min(options.lockDurationMs ?? 30_000, 30_000),
    },
  );
  worker.on('failed', (job, error) => options.log.warn({ err: error, jobId: job?.id }, 'rollout tick failed'));
  worker.on('error', (error) => options.log.warn({ err: error }, 'rollout worker error'));
  return worker;
}
