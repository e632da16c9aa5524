import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CoreContext } from '../core/context.ts';
import type { DigestSettings } from '../core/digest.ts';
import { fireDigest } from '../core/usecases/digest.ts';

export const DIGEST_QUEUE = 'digests';

/** One installation's digest queue (see effectsQueueName). */
export function digestQueueName(installation: string): string {
  return `${DIGEST_QUEUE}-${installation}`;
}

interface DigestJob {
  digestId: string;
}

/** Digest schedulers' ids begin so; any other scheduler on the queue is not ours to remove. */
const DIGEST_ID = /^digest-[0-9a-f]+$/;

/**
 * Keeps one BullMQ Job Scheduler per `digests:` entry, named by the entry's id (core/digest.ts), with the
 * entry's cron `pattern` read in its `tz`. Every worker replica syncs on boot: the same entry upserts
 * the same scheduler (BullMQ names each firing's job after the scheduler and the firing time, so two
 * replicas never make two jobs of one firing), and the schedulers of entries no longer in relm.yml go.
 */
export class DigestScheduler {
  readonly queue: Queue<DigestJob>;

  constructor(connection: Redis, prefix: string, log: Logger, options: { installation: string }) {
    this.queue = new Queue<DigestJob>(digestQueueName(options.installation), { connection, prefix });
    this.queue.on('error', (error) => log.warn({ err: error }, 'digest queue error'));
  }

  async sync(digests: DigestSettings[]): Promise<{ upserted: string[]; removed: string[] }> {
    for (const digest of digests) {
      await this.queue.upsertJobScheduler(
        digest.id,
        { pattern: digest.cron, tz: digest.tz },
        {
          name: 'digest',
          data: { digestId: digest.id },
          // Writing the outbox row is all the job does: a few quick retries cover a database blip.
          opts: { attempts: 8, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: { age: 7 * 24 * 3_600 }, removeOnFail: { age: 30 * 24 * 3_600 } },
        },
      );
    }
    const wanted = new Set(digests.map((d) => d.id));
    const removed: string[] = [];
    for (const scheduler of await this.queue.getJobSchedulers(0, -1)) {
      const id = scheduler.id ?? scheduler.key;
      if (DIGEST_ID.test(id) && !wanted.has(id)) {
        await this.queue.removeJobScheduler(id);
        removed.push(id);
      }
    }
    return { upserted: [...wanted], removed };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface DigestWorkerOptions {
  connection: Redis;
  prefix: string;
  installation: string;
  ctx: CoreContext;
  log: Logger;
  lockDurationMs?: number;
}

/**
 * Takes each firing and hands it to the use case, which writes the digest's post to the outbox once
 * per firing: the job is only the alarm clock, the outbox effect does the posting.
 */
export function startDigestWorker(options: DigestWorkerOptions): Worker<DigestJob> {
  const { ctx } = options;
  const worker = new Worker<DigestJob>(
    digestQueueName(options.installation),
    async (job: Job<DigestJob>) => {
      // The firing as the scheduler reckoned it (the host's clock): the same on every retry of the job.
      const occurrence = job.opts.prevMillis ?? job.timestamp + (job.delay ?? 0);
      // The period ends at the firing, read on relm's clock (the one releases are recorded on).
      const end = new Date(occurrence + (ctx.clock().getTime() - Date.now()));
      const outcome = await fireDigest(ctx, job.data.digestId, new Date(occurrence), end);
      if (outcome === 'unknown') options.log.info({ digestId: job.data.digestId }, 'a digest fired that relm.yml no longer has');
      return { outcome, occurrence };
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: 4,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: Math.min(options.lockDurationMs ?? 30_000, 30_000),
    },
  );
  worker.on('failed', (job, error) => options.log.warn({ err: error, jobId: job?.id }, 'digest firing failed'));
  worker.on('error', (error) => options.log.warn({ err: error }, 'digest worker error'));
  return worker;
}
