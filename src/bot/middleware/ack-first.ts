import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { performance } from 'node:perf_hooks';
import type { Metrics } from '../../http/metrics.ts';
import { requestLabel } from './request-label.ts';
import { WorkSlots } from './work-slots.ts';

/** How long a request may wait to be let in: Slack gives up on an ack after 3 s. */
const ADMISSION_WAIT_MS = 2_000;
const BUSY = ':hourglass: relm is too busy to take this right now; nothing was changed, try again in a minute.';

/**
 * How many Slack requests are worked on at once (about the database pool: more would only queue for
 * a connection), and how many acknowledged ones may wait for their turn.
 */
export const WORKING = 32;
export const WAITING = 1_000;

/**
 * What bounds the work that follows Slack's acks. Acks are cheap and the work is not, so without a
 * bound a flood is acknowledged at once while its work piles up in memory, every request holding
 * its body and context until its turn (the heap grew to 560 MiB behind 10,000 requests). `admitted`
 * counts the requests taken (working or waiting), `working` those running.
 */
export class SlackWork {
  readonly admitted = new WorkSlots(WORKING + WAITING);
  readonly working = new WorkSlots(WORKING);

  /** Resolves when everything taken is done, or after `timeoutMs`; true when it is all done. */
  drained(timeoutMs: number): Promise<boolean> {
    return this.admitted.drained(timeoutMs);
  }
}

/**
 * Acknowledges slash commands and button clicks before anything else runs, so Slack's 3-second limit
 * never depends on the database; the work continues after the ack, in turn, and answers through
 * response_url. Modal submissions are acknowledged by their listener, which may have to return field
 * errors, so they do not queue for a turn. When 1,000 acknowledged requests are already waiting, the
 * next waits to be let in before its ack, and one not let in within 2 s is answered "too busy".
 */
export function ackFirst(metrics: Metrics, work: SlackWork): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const body = args.body as Record<string, any>;
    const label = requestLabel(body);
    metrics.slackRequests.inc(label);
    const receivedAt = (args.context as { receivedAt?: number }).receivedAt ?? performance.now();
    const ack = 'ack' in args && typeof args.ack === 'function' ? (args.ack as (response?: unknown) => Promise<void>) : undefined;
    if (!(await work.admitted.acquire(ADMISSION_WAIT_MS))) {
      metrics.slackErrors.inc({ kind: 'busy' });
      await ack?.(label.kind === 'command' ? { response_type: 'ephemeral', text: BUSY } : undefined);
      if (label.kind !== 'command' && 'respond' in args && typeof args.respond === 'function') await args.respond({ response_type: 'ephemeral', replace_original: false, text: BUSY }).catch(() => {});
      return;
    }
    metrics.slackWorking.inc();
    try {
      (args.context as Record<string, unknown>).ackTimer = () => metrics.ackSeconds.observe(label, (performance.now() - receivedAt) / 1000);
      if (label.kind === 'view') return await args.next();
      if ((label.kind === 'command' || label.kind === 'action') && ack) {
        await ack();
        metrics.ackSeconds.observe(label, (performance.now() - receivedAt) / 1000);
      }
      await work.working.acquire();
      try {
        await args.next();
      } finally {
        work.working.release();
      }
    } finally {
      metrics.slackWorking.dec();
      work.admitted.release();
    }
  };
}
