import { performance } from 'node:perf_hooks';
import { App, SocketModeReceiver, type Receiver } from '@slack/bolt';
import type { BotDeps } from './deps.ts';
import { registerCommands } from './commands/index.ts';
import { registerActions } from './actions/index.ts';
import { registerViews } from './views/index.ts';
import { registerEvents } from './events/index.ts';
import { registerErrorHandler } from './errors.ts';
import { ackFirst, SlackWork } from './middleware/ack-first.ts';
import { dropRedeliveries } from './middleware/dedupe.ts';
import { boltLogger } from './logger.ts';
import { SlackHttpReceiver } from './http-receiver.ts';
import type { Route } from '../http/server.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

export type Connection =
  | { mode: 'http'; signingSecret: string; port: number; routes: Route[]; acceptGraceMs?: number }
  | { mode: 'socket'; appToken: string }
  | { mode: 'custom'; receiver: Receiver };

export interface SlackApp {
  app: App;
  /** Stops taking requests and gives the ones taken until `deadlineMs` to be answered and finished. */
  stop(deadlineMs: number): Promise<void>;
}

function receiverFor(connection: Connection, deps: BotDeps, work: SlackWork, apiUrl: string): Receiver {
  switch (connection.mode) {
    case 'http':
      return new SlackHttpReceiver({
        signingSecret: connection.signingSecret,
        port: connection.port,
        routes: connection.routes,
        bodyLimit: MAX_BODY_BYTES,
        log: deps.log,
        outages: deps.outages,
        work,
        customProperties: () => ({ receivedAt: performance.now() }),
        acceptGraceMs: connection.acceptGraceMs,
      });
    case 'socket':
      // The socket client opens its connection through apps.connections.open with a Web API client of
      // its own: without the API URL it would call slack.com whatever SLACK_API_URL says.
      return new SocketModeReceiver({ appToken: connection.appToken, logger: boltLogger(deps.log), installerOptions: { clientOptions: { slackApiUrl: apiUrl } } });
    case 'custom':
      return connection.receiver;
  }
}

/** The Bolt app: middleware, then one listener per command, action and view. */
export function createSlackApp(token: string, apiUrl: string, connection: Connection, deps: BotDeps): SlackApp {
  const work = new SlackWork();
  const receiver = receiverFor(connection, deps, work, apiUrl);
  const app = new App({
    token,
    receiver,
    logger: boltLogger(deps.log),
    clientOptions: { slackApiUrl: apiUrl },
    extendedErrorHandler: true,
    deferInitialization: true,
  });
  app.use(ackFirst(deps.metrics, work));
  app.use(dropRedeliveries(deps.ctx, deps.log));
  registerCommands(app, deps);
  registerActions(app, deps);
  registerViews(app, deps);
  registerEvents(app, deps);
  registerErrorHandler(app, deps);
  return {
    app,
    async stop(deadlineMs) {
      if (receiver instanceof SlackHttpReceiver) return receiver.stop(deadlineMs);
      await app.stop();
      await work.drained(deadlineMs);
    },
  };
}
