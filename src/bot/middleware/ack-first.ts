import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { performance } from 'node:perf_hooks';
import type { Metrics } from '../../http/metrics.ts';
import { requestLabel } from './request-label.ts';
import type { WorkSlots } from './work-slots.ts';

/** How long a request may wait for a work slot: Slack gives up on an ack after 3 s. */
const SLOT_WAIT_MS = 2_000;
const BUSY = ':hourglass: relm is too busy to take this right now; nothing was changed, try again in a minute.';

/**
 * Acknowledges slash commands and button clicks before anything else runs, so Slack's 3-second limit
 * never depends on the database; the work continues after the ack and answers through response_url.
 * Modal submissions are acknowledged by their listener, which may have to return field errors.
 * Every request first takes one of the work slots; one that cannot get a slot in 2 s is answered
 * "too busy" and dropped, so a flood cannot pile up unbounded work.
 */
export function ackFirst(metrics: Metrics, slots: WorkSlots): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const body = args.body as Record<string, any>;
    const label = requestLabel(body);
    metrics.slackRequests.inc(label);
    const receivedAt = (args.context as { receivedAt?: number }).receivedAt ?? performance.now();
    const ack = 'ack' in args && typeof args.ack === 'function' ? (args.ack as (response?: unknown) => Promise<void>) : undefined;
    if (!(await slots.acquire(SLOT_WAIT_MS))) {
      metrics.slackErrors.inc({ kind: 'busy' });
      await ack?.(label.kind === 'command' ? { response_type: 'ephemeral', text: BUSY } : undefined);
      if (label.kind !== 'command' && 'respond' in args && typeof args.respond === 'function') await args.respond({ response_type: 'ephemeral', replace_original: false, text: BUSY }).catch(() => {});
      return;
    }
    metrics.slackWorking.inc();
    try {
      (args.context as Record<string, unknown>).ackTimer = () => metrics.ackSeconds.observe(label, (performance.now() - receivedAt) / 1000);
      if ((label.kind === 'command' || label.kind === 'action') && ack) {
        await ack();
        metrics.ackSeconds.observe(label, (performance.now() - receivedAt) / 1000);
      }
      await args.next();
    } finally {
      metrics.slackWorking.dec();
      slots.release();
    }
  };
}
