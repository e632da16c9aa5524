import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { performance } from 'node:perf_hooks';
import type { Metrics } from '../../http/metrics.ts';
import { requestLabel } from './request-label.ts';

/**
 * Acknowledges slash commands and button clicks before anything else runs, so Slack's 3-second limit
 * never depends on the database; the work continues after the ack and answers through response_url.
 * Modal submissions are acknowledged by their listener, which may have to return field errors.
 */
export function ackFirst(metrics: Metrics): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const body = args.body as Record<string, any>;
    const label = requestLabel(body);
    metrics.slackRequests.inc(label);
    const receivedAt = (args.context as { receivedAt?: number }).receivedAt ?? performance.now();
    (args.context as Record<string, unknown>).ackTimer = () => metrics.ackSeconds.observe(label, (performance.now() - receivedAt) / 1000);
    if ((label.kind === 'command' || label.kind === 'action') && 'ack' in args && typeof args.ack === 'function') {
      await args.ack();
      metrics.ackSeconds.observe(label, (performance.now() - receivedAt) / 1000);
    }
    await args.next();
  };
}
