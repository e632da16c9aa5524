import { createHmac, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { sign, slashCommandBody } from '../support/slack-requests.ts';

const GITHUB_SECRET = 'github-secret-keep-alive';
const JIRA_SECRET = 'jira-secret-keep-alive';
const TOO_BIG = 'x'.repeat(2 * 1024 * 1024);

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ store: 'pglite', env: { GITHUB_WEBHOOK_SECRET: GITHUB_SECRET, JIRA_WEBHOOK_SECRET: JIRA_SECRET } });
});

afterAll(async () => {
  await h?.stop();
});

interface Answer {
  status: number;
  connection?: string;
  /** The local port of the socket it came over: the same port means the same kept-alive connection. */
  localPort?: number;
}

/** One request through a keep-alive agent with a single socket, as proxies and Node's fetch reuse them. */
function send(agent: Agent, path: string, body: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${h.baseUrl}${path}`, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, localPort: req.socket?.localPort }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const slackBody = () => slashCommandBody({ user: 'U0DEV', text: 'help', responseUrl: h.slack.responseUrl({ user: 'U0DEV' }) });
const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

/** Per route: a request it takes, and one it refuses with 401. */
const ROUTES: { path: string; ok: (body?: string) => [string, Record<string, string>]; expected: number; forged: () => [string, Record<string, string>] }[] = [
  {
    path: '/slack/events',
    ok: (body = slackBody()) => [body, { 'content-type': 'application/x-www-form-urlencoded', ...sign(body) }],
    expected: 200,
    forged: () => [slackBody(), { 'content-type': 'application/x-www-form-urlencoded', ...sign(slackBody(), undefined, 'wrong') }],
  },
  {
    path: '/webhooks/github',
    ok: (body = JSON.stringify({ zen: 'Keep it logically awesome.', repository: { full_name: 'acme/payments' } })) => [body, { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${hmac(GITHUB_SECRET, body)}` }],
    expected: 202,
    forged: () => ['{}', { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${hmac('wrong', '{}')}` }],
  },
  {
    path: '/webhooks/jira',
    ok: (body = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { key: 'OTHER-1' } })) => [body, { 'content-type': 'application/json', 'x-atlassian-webhook-identifier': randomUUID(), 'x-hub-signature': `sha256=${hmac(JIRA_SECRET, body)}` }],
    expected: 202,
    forged: () => ['{}', { 'content-type': 'application/json', 'x-hub-signature': `sha256=${hmac('wrong', '{}')}` }],
  },
  {
    // No step has this key: the deploy callback answers 401, the same as for a bad signature.
    path: '/webhooks/deploy',
    ok: (body = JSON.stringify({ idempotency_key: 'no-such-step', status: 'succeeded' })) => [body, { 'content-type': 'application/json' }],
    expected: 401,
    forged: () => ['{"idempotency_key":"x"}', { 'content-type': 'application/json' }],
  },
];

describe.each(ROUTES)('a kept-alive connection to $path', (route) => {
  it('answers 413 with Connection: close, and the next three requests all succeed', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const [, headers] = route.ok();
      const refused = await send(agent, route.path, TOO_BIG, headers);
      expect(refused).toMatchObject({ status: 413, connection: 'close' });
      for (let i = 0; i < 3; i++) expect((await send(agent, route.path, ...route.ok())).status).toBe(route.expected);
    } finally {
      agent.destroy();
    }
  });

  it('stays usable after a 401: three more requests on the same connection succeed', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await send(agent, route.path, ...route.ok());
      expect((await send(agent, route.path, ...route.forged())).status).toBe(401);
      const next = [];
      for (let i = 0; i < 3; i++) next.push(await send(agent, route.path, ...route.ok()));
      expect(next.map((a) => a.status)).toEqual([route.expected, route.expected, route.expected]);
      // The 401 read its body to the end, so the connection was kept and reused.
      expect(next.map((a) => a.localPort)).toEqual([first.localPort, first.localPort, first.localPort]);
    } finally {
      agent.destroy();
    }
  });
});
