import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { BOT_TOKEN, SIGNING_SECRET, sign, slashCommandBody } from '../support/slack-requests.ts';

let h: Harness;

beforeAll(async () => {
  // This file runs on the embedded PGlite store; release-flow.test.ts runs on PostgreSQL.
  h = await startHarness({ store: 'pglite' });
});

afterAll(async () => {
  await h?.stop();
});

async function releaseCount(): Promise<number> {
  const rows = await h.relm.db.selectFrom('releases').select('id').execute();
  return rows.length;
}

describe('request verification', () => {
  it('answers 401 to a bad signature and changes nothing', async () => {
    const body = slashCommandBody({ user: 'U0DEV', text: 'new payments 9.0.0', responseUrl: h.slack.responseUrl({ user: 'U0DEV' }) });
    const forged = sign(body, Math.floor(Date.now() / 1000), 'not-the-secret');
    const res = await fetch(`${h.baseUrl}/slack/events`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...forged } });
    expect(res.status).toBe(401);
    expect(await releaseCount()).toBe(0);
  });

  it('answers 401 to a correctly signed request older than five minutes', async () => {
    const body = slashCommandBody({ user: 'U0DEV', text: 'new payments 9.0.0', responseUrl: h.slack.responseUrl({ user: 'U0DEV' }) });
    const stale = sign(body, Math.floor(Date.now() / 1000) - 6 * 60);
    const res = await fetch(`${h.baseUrl}/slack/events`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...stale } });
    expect(res.status).toBe(401);
    expect(await releaseCount()).toBe(0);
  });

  it('answers 413 to a body over 1 MiB', async () => {
    const body = slashCommandBody({ user: 'U0DEV', text: `new payments 9.0.0 --title "${'x'.repeat(1024 * 1024)}"`, responseUrl: h.slack.responseUrl({ user: 'U0DEV' }) });
    const res = await h.post('/slack/events', body);
    expect(res.status).toBe(413);
    expect(await releaseCount()).toBe(0);
  });
});

describe('any /release text gets a helpful answer', () => {
  const grammarish = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.constantFrom("'; DROP TABLE releases; --", '<!channel> <!here>', '“new payments”', 'show REL-999999999', 'approve REL-0', 'new payments 1.0.0 --at yesterday'),
    fc
      .tuple(
        fc.constantFrom('new', 'submit', 'approve', 'reject', 'show', 'list', 'schedule', 'policy', 'edit', 'cancel', 'audit', 'help', 'NEW', 'Show'),
        fc.array(fc.oneof(fc.constantFrom('payments', 'REL-1', 'rel-2', '--type', '--at', '--title', '--risk', 'major', '"quoted text"', '2026-12-01', '1.2.3', '--model', '"'), fc.string({ maxLength: 20 })), { maxLength: 8 }),
      )
      .map(([verb, rest]) => [verb, ...rest].join(' ')),
    fc.string({ minLength: 3_990, maxLength: 10_000 }),
  );

  it('never answers with a 5xx, an internal error or a mention it was not given', async () => {
    await fc.assert(
      fc.asyncProperty(grammarish, async (text) => {
        const res = await h.command('U0FUZZ', text);
        expect(res.status).toBe(200);
        if (res.reply) {
          expect(res.reply.text).not.toContain('Something went wrong');
          expect(res.reply.text).not.toMatch(/<!(channel|here|everyone)>/);
        } else {
          expect(res.view?.type).toBe('modal');
        }
      }),
      { numRuns: 80 },
    );
    const health = await fetch(`${h.baseUrl}/healthz`);
    expect(health.status).toBe(200);
  });
});

describe('health, readiness, metrics and logs', () => {
  it('serves liveness, readiness naming each dependency, and Prometheus metrics with ack latency', async () => {
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ database: 'ok', redis: 'ok' });
    await h.command('U0DEV', 'help');
    const metrics = await (await fetch(`${h.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/relm_slack_ack_seconds_bucket\{le="[^"]+",kind="command",name="help"\} [1-9]/);
    expect(metrics).toMatch(/relm_slack_requests_total\{kind="command",name="help"\} [1-9]/);
  });

  it('writes pino JSON and never logs the bot token or the signing secret', async () => {
    expect(h.logs.length).toBeGreaterThan(0);
    for (const line of h.logs) expect(() => JSON.parse(line)).not.toThrow();
    const all = h.logs.join('');
    expect(all).not.toContain(BOT_TOKEN);
    expect(all).not.toContain(SIGNING_SECRET);
  });
});

describe('readiness with Redis down', () => {
  it('answers 503 naming redis while the database is fine', async () => {
    const down = await startHarness({ store: 'pglite', role: 'bot', env: { REDIS_URL: 'redis://127.0.0.1:6399' } });
    try {
      const res = await fetch(`${down.baseUrl}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { database: string; redis: string };
      expect(body.database).toBe('ok');
      expect(body.redis).toMatch(/^down/);
      expect((await fetch(`${down.baseUrl}/healthz`)).status).toBe(200);
    } finally {
      await down.stop();
    }
  });
});
