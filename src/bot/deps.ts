import type { Logger } from 'pino';
import type { CoreContext } from '../core/context.ts';
import type { SlackWebApi } from '../integrations/slack/web-api.ts';
import type { Metrics } from '../http/metrics.ts';

/** What the Slack listeners are given: the core context, Slack's Web API, a logger and metrics. */
export interface BotDeps {
  ctx: CoreContext;
  slack: SlackWebApi;
  log: Logger;
  metrics: Metrics;
}
