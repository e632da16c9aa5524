import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { outageMessage, unreachableDependency, type OutageTracker } from '../outage.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
export interface Route {
  path: string;
  /** `*` takes every method (a mounted app such as the queue dashboard). */
  method: string;
  handler: Handler;
  /** Also takes every path under `path/` (the queue dashboard's pages, assets and API). */
  prefix?: boolean;
}

export interface HttpServerOptions {
  port: number;
  routes: Route[];
  log: Logger;
  outages: OutageTracker;
  /** How long a drain keeps accepting (see ACCEPT_GRACE_MS); tests that stop many servers shorten it. */
  acceptGraceMs?: number;
}

export interface RelmHttpServer {
  server: Server;
  port: number;
  /**
   * Drains within `deadlineMs`: from now on every answer says `Connection: close`; a second later
   * (so connections already on their way in are served) relm stops accepting and closes the idle
   * kept-alive connections; every request received is answered, and what is still open at the
   * deadline is cut.
   */
  close(deadlineMs: number): Promise<void>;
}

/**
 * How long the server still accepts after a drain begins. A connection the kernel has completed but
 * Node not yet accepted is reset when the listener closes, and a kept-alive connection can carry a
 * request that arrived but is not read yet; after this long both are in hand and answered.
 */
const ACCEPT_GRACE_MS = 1_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Answers a route's failure: 503 with a try-again message when a dependency is unreachable (one
 * warning per outage), else 500 with the error logged under a ref. A route's error never becomes an
 * unhandled rejection.
 */
export function routeFailed(options: Pick<HttpServerOptions, 'log' | 'outages'>, req: IncomingMessage, res: ServerResponse, error: unknown): void {
  // A request body read to its end is destroyed too; only a gone socket means the client left.
  if (res.destroyed || req.socket.destroyed) {
    options.log.debug({ err: error, path: req.url }, 'HTTP request abandoned by its client');
    return;
  }
  const dependency = unreachableDependency(error);
  if (dependency) {
    options.outages.report(dependency, error);
    if (!res.headersSent) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '60' });
      res.end(JSON.stringify({ error: outageMessage(dependency) }));
    }
    return;
  }
  const ref = randomBytes(4).toString('hex');
  options.log.error({ err: error, path: req.url?.split('?')[0], ref }, 'HTTP route failed');
  if (!res.headersSent) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `internal error (ref ${ref})` }));
  } else {
    res.destroy();
  }
}

/**
 * relm's HTTP server: the webhook, health and metrics routes, and (in HTTP mode) Slack's endpoint,
 * with a drain that answers what it has taken before it stops.
 */
export async function startHttpServer(options: HttpServerOptions, fallback?: Handler): Promise<RelmHttpServer> {
  const routes = new Map(options.routes.filter((r) => !r.prefix).map((route) => [`${route.method} ${route.path}`, route.handler]));
  const prefixed = options.routes.filter((r) => r.prefix);
  const underPrefix = (method: string | undefined, path: string) =>
    prefixed.find((r) => (r.method === '*' || r.method === method) && (path === r.path || path.startsWith(`${r.path}/`)))?.handler;
  const sockets = new Set<Socket>();
  const answering = new Set<ServerResponse>();
  let draining = false;

  const server = createServer((req, res) => {
    answering.add(res);
    res.once('close', () => answering.delete(res));
    // While draining, every answer closes its connection, so no client sends another request on it.
    if (draining) res.setHeader('connection', 'close');
    const path = (req.url ?? '/').split('?')[0]!;
    const handler = routes.get(`${req.method} ${path}`) ?? underPrefix(req.method, path) ?? fallback;
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    try {
      Promise.resolve(handler(req, res)).catch((error) => routeFailed(options, req, res, error));
    } catch (error) {
      routeFailed(options, req, res, error);
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    server,
    port,
    async close(deadlineMs) {
      if (!server.listening) return;
      const deadline = Date.now() + deadlineMs;
      draining = true;
      // Requests in hand whose headers are not out yet say Connection: close too.
      for (const res of answering) if (!res.headersSent) res.setHeader('connection', 'close');
      await sleep(Math.min(options.acceptGraceMs ?? ACCEPT_GRACE_MS, deadlineMs / 4));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      while (sockets.size > 0 && Date.now() < deadline) {
        server.closeIdleConnections();
        await sleep(20);
      }
      if (sockets.size > 0) {
        options.log.warn({ connections: sockets.size }, 'closing connections still busy at the shutdown deadline');
        server.closeAllConnections();
      }
      await closed;
    },
  };
}
