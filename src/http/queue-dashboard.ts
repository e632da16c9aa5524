import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { sameSecret } from './secret.ts';
import type { Route } from './server.ts';

export const DASHBOARD_PATH = '/admin/queues';
const COOKIE = 'relm_admin';

/** What the login cookie holds: a digest of the token, never the token itself. */
function cookieValue(token: string): string {
  return createHash('sha256').update(`relm-admin-cookie:${token}`).digest('hex');
}

function cookieOf(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

function bearerOf(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1]?.trim();
}

/**
 * bull-board on relm's own HTTP server, at /admin/queues only. relm serves HTTP itself (not through
 * express), so the dashboard's express app is mounted for that path prefix and sees nothing else.
 * Signed in by `Authorization: Bearer <RELM_ADMIN_TOKEN>`, or once by `?token=` which sets a cookie
 * for the dashboard's path and redirects to drop the token from the address bar. Read-only (bull-board
 * answers 405 to a retry, clean or removal) unless `write`.
 */
export function queueDashboardRoute(options: { token: string | undefined; write: boolean; queues: Queue[] }): Route | undefined {
  const { token } = options;
  if (!token) return undefined;
  const serverAdapter = new ExpressAdapter().setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: options.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: !options.write, allowRetries: options.write })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'relm queues' } },
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(DASHBOARD_PATH, serverAdapter.getRouter());
  const expectedCookie = cookieValue(token);

  return {
    path: DASHBOARD_PATH,
    method: '*',
    prefix: true,
    handler: (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://relm');
      const login = url.searchParams.get('token');
      if (login !== null) {
        if (!sameSecret(login, token)) return void res.writeHead(401, { 'content-type': 'text/plain' }).end('wrong token\n');
        url.searchParams.delete('token');
        res.writeHead(303, {
          'set-cookie': `${COOKIE}=${expectedCookie}; Path=${DASHBOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=43200`,
          location: `${url.pathname}${url.search}`,
        });
        return void res.end();
      }
      if (!sameSecret(bearerOf(req), token) && !sameSecret(cookieOf(req), expectedCookie)) {
        return void res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="relm queues"' }).end(`sign in: ${DASHBOARD_PATH}?token=… or Authorization: Bearer …\n`);
      }
      app(req as express.Request, res as express.Response);
    },
  };
}
