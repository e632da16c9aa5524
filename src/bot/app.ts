import { performance } from 'node:perf_hooks';
import { App, HTTPReceiver, SocketModeReceiver, type Receiver } from '@slack/bolt';
import type { BotDeps } from './deps.ts';
import { registerCommands } from './commands/index.ts';
import { registerActions } from './actions/index.ts';
import { registerViews } from './views/index.ts';
import { registerErrorHandler } from './errors.ts';
import { ackFirst } from './middleware/ack-first.ts';
import { dropRedeliveries } from './middleware/dedupe.ts';
import { boltLogger } from './logger.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

type Route = { path: string; method: string; handler: (req: any, res: any) => void | Promise<void> };

export type Connection =
  | { mode: 'http'; signingSecret: string; port: number; routes: Route[] }
  | { mode: 'socket'; appToken: string; port: number; routes: Route[] }
  | { mode: 'custom'; receiver: Receiver };

function receiverFor(connection: Connection, deps: BotDeps): Receiver {
  const logger = boltLogger(deps.log);
  switch (connection.mode) {
    case 'http':
      return new HTTPReceiver({
        signingSecret: connection.signingSecret,
        endpoints: '/slack/events',
        port: connection.port,
        customRoutes: connection.routes,
        bodyLimit: MAX_BODY_BYTES,
        logger,
        customPropertiesExtractor: () => ({ receivedAt: performance.now() }),
      });
    case 'socket':
      return new SocketModeReceiver({ appToken: connection.appToken, customRoutes: connection.routes, installerOptions: { port: connection.port }, logger });
    case 'custom':
      return connection.receiver;
  }
}

/** The Bolt app: middleware, then one listener per command, action and view. */
export function createSlackApp(token: string, apiUrl: string, connection: Connection, deps: BotDeps): App {
  const app = new App({
    token,
    receiver: receiverFor(connection, deps),
    logger: boltLogger(deps.log),
    clientOptions: { slackApiUrl: apiUrl },
    extendedErrorHandler: true,
    deferInitialization: true,
  });
  app.use(ackFirst(deps.metrics));
  app.use(dropRedeliveries(deps.ctx, deps.log));
  registerCommands(app, deps);
  registerActions(app, deps);
  registerViews(app, deps);
  registerErrorHandler(app, deps);
  return app;
}
