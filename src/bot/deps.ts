import type { Logger } from 'pino';
import type { CoreContext } from '../core/context.ts';
import type { SlackWebApi } from '../integrations/slack/web-api.ts';
import type { Metrics } from '../http/metrics.ts';
import type { OutageTracker } from '../outage.ts';

/** What the Slack listeners are given: the core context, Slack's Web API, a logger, metrics and the outage tracker. */
export interface BotDeps {
  ctx: CoreContext;
  slack: SlackWebApi;
  log: Logger;
  metrics: Metrics;
  /** Turns an unreachable database or Redis into one warning per outage. */
  outages: OutageTracker;
}
