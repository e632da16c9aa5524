import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

const GITHUB_SECRET = 'github-secret-outage';
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let proxy: TcpProxy;
let h: Harness;

beforeAll(async () => {
  database = await createTestDatabase();
  const url = new URL(database.url);
  proxy = await new TcpProxy({ host: url.hostname, port: Number(url.port || 5432) }).start();
  url.host = `127.0.0.1:${proxy.port}`;
  // relm reaches this file's own PostgreSQL database through the proxy, which the test can cut.
  h = await startHarness({ store: 'pglite', env: { DATABASE_URL: url.toString(), GITHUB_WEBHOOK_SECRET: GITHUB_SECRET } });
});

afterAll(async () => {
  await proxy?.restore();
  await h?.stop();
  await proxy?.stop();
  await database?.drop();
});

const logged = (from: number) => h.logs.slice(from).map((line) => JSON.parse(line) as { level: number; msg: string; dependency?: string });

async function githubRelease(): Promise<number> {
  const body = JSON.stringify({ action: 'published', release: { tag_name: 'v1.0.0', html_url: 'https://github.com/acme/payments/releases/v1.0.0' }, repository: { full_name: 'acme/payments' } });
  const res = await fetch(`${h.baseUrl}/webhooks/github`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-github-event': 'release', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', GITHUB_SECRET).update(body).digest('hex')}` },
  });
  await res.arrayBuffer();
  return res.status;
}

describe('PostgreSQL going away', () => {
  it('tells each user relm cannot reach its database, warns once, and works again when it is back', async () => {
    expect((await h.command('U0DEV', 'new payments 1.0.0')).reply!.text).toContain('Planned *REL-1*');
    const from = h.logs.length;
    await proxy.cut();

    const answers = [];
    for (const text of ['show REL-1', 'new payments 2.0.0', 'list', 'submit REL-1', 'new billing 1.0.0']) answers.push((await h.command('U0DEV', text)).reply!.text);
    answers.push((await h.click('U0DEV', 'relm_submit', '1', { channel: 'C0PAY', ts: '1.1' })).reply!.text);
    expect(answers).toEqual(Array(6).fill(':warning: relm cannot reach its database; nothing was changed, try again in a minute.'));
    // A webhook is told to come back later, rather than given a 500.
    expect(await githubRelease()).toBe(503);
    expect((await fetch(`${h.baseUrl}/readyz`)).status).toBe(503);

    const during = logged(from);
    expect(during.filter((l) => l.level >= 40 && l.dependency === 'database').map((l) => l.msg)).toEqual(['database unreachable: requests are answered "try again in a minute" until it is back']);
    expect(during.filter((l) => l.msg === 'unhandled error in a Slack listener' || l.msg === 'HTTP route failed')).toEqual([]);

    await proxy.restore();
    await waitFor(() => logged(from).find((l) => l.msg === 'database reachable again'), 'relm to notice the database is back', 15_000);
    expect((await h.command('U0DEV', 'show REL-1')).reply!.text).toContain('REL-1');
    // Nothing asked for during the outage happened.
    const releases = await h.relm.db.selectFrom('releases').select(['id', 'state']).execute();
    expect(releases).toEqual([{ id: 1, state: 'draft' }]);
  }, 60_000);
});
