import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CoreContext } from '../../core/context.ts';
import { firstDelivery } from '../../store/repositories/deliveries.ts';

/** The id Slack keeps across retries of one request. */
export function deliveryKey(body: Record<string, any>): string | undefined {
  if (typeof body.event_id === 'string') return `event:${body.event_id}`;
  if (typeof body.trigger_id === 'string') return `trigger:${body.trigger_id}`;
  if (body.view?.id && body.view?.hash) return `view:${body.view.id}:${body.view.hash}`;
  return undefined;
}

/**
 * Drops a request Slack has already delivered (a retry after a slow answer, X-Slack-Retry-Num), so
 * nothing happens twice. Each use case is idempotent on its own as well; this saves the second answer.
 */
export function dropRedeliveries(ctx: CoreContext, log: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const key = deliveryKey(args.body as Record<string, any>);
    if (key && !(await firstDelivery(ctx.db, key, ctx.clock()))) {
      log.info({ key, retryNum: (args.context as { retryNum?: number }).retryNum }, 'dropped a redelivered Slack request');
      if ('ack' in args && typeof args.ack === 'function') await args.ack().catch(() => {});
      return;
    }
    await args.next();
  };
}
