import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { Redis } from 'ioredis';
import { createRelm, type Relm, type Role } from '../../src/app.ts';
import type { RetrySchedule } from '../../src/jobs/effects-queue.ts';
import { readEnv, type Env } from '../../src/config/env.ts';
import { loadRelmFile } from '../../src/config/relm-file.ts';
import { createLogger } from '../../src/log.ts';
import { SlackEmulator, type EphemeralMessage } from '../../src/console/slack-emulator.ts';
import { BOT_TOKEN, SIGNING_SECRET, blockActionPayload, eventBody, homeActionPayload, interactionBody, sign, slashCommandBody, viewSubmissionPayload } from './slack-requests.ts';
import { createTestDatabase } from './postgres.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const FIXTURE_CONFIG = new URL('../fixtures/relm.test.yml', import.meta.url).pathname;

export interface HarnessOptions {
  store?: 'postgres' | 'pglite';
  role?: Role;
  clock?: () => Date;
  /** Extra environment variables, validated and coerced like the real environment. */
  env?: Record<string, string | undefined>;
  config?: string;
  /** The outbox relay's timing (1 s and 500 ms in tests unless set). */
  relayAfterMs?: number;
  relayEveryMs?: number;
  /** The effect jobs' retry schedule (createRelm's default unless set). */
  effectRetry?: RetrySchedule;
  httpRetryBaseMs?: number;
  /** The App Home refresh window (createRelm's 10 s unless set). */
  homeRefreshMs?: number;
  /** A fake Socket Mode server: relm connects to it (set SLACK_APP_TOKEN too) instead of taking HTTP. */
  socketModeUrl?: string;
}

/** Everything a test needs to drive relm as Slack would: the app over HTTP, a fake Slack, the logs. */
export interface Harness {
  relm: Relm;
  slack: SlackEmulator;
  baseUrl: string;
  logs: string[];
  prefix: string;
  /** The environment relm runs with, so a test can start more relm processes on the same store and queues. */
  env: Env;
  post(path: string, body: string, headers?: Record<string, string>): Promise<Response>;
  /** Sends a signed `/release <text>` and waits for its ephemeral answer (or a modal to open). */
  command(user: string, text: string, options?: { channel?: string; headers?: Record<string, string> }): Promise<{ status: number; reply?: EphemeralMessage; view?: any }>;
  click(user: string, actionId: string, value: string, message: { channel: string; ts: string }, options?: { headers?: Record<string, string>; wait?: boolean }): Promise<{ status: number; reply?: EphemeralMessage; view?: any }>;
  submitView(user: string, view: any, values: Record<string, Record<string, unknown>>): Promise<{ status: number; body: any }>;
  /** Opens relm's App Home as `user` (a signed app_home_opened event) and waits for the view published for it. */
  openHome(user: string): Promise<any>;
  /** Presses a button in `user`'s App Home (no response_url, as Slack sends it); resolves once the request is answered. */
  clickInHome(user: string, actionId: string, value: string): Promise<{ status: number }>;
  /** Waits until every outbox effect is performed (cards, requests, notes). */
  /** Waits until no effect is left to do (for up to `timeoutMs`, 15 s by default). */
  settle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A stream that keeps what is written to it, e.g. for `runDoctor`'s report. */
export function textSink(): { sink: Writable; text: () => string } {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { sink, text: () => out };
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Deletes every Redis key under a queue prefix. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const slack = await new SlackEmulator().start();
  slack.userGroups.set('S0APPROVERS', ['U0APP1', 'U0APP2', 'U0APP3']);
  slack.userGroups.set('S0CAB', ['U0CAB1', 'U0CAB2']);
  slack.socketModeUrl = options.socketModeUrl;
  const database = options.store === 'pglite' ? undefined : await createTestDatabase();
  // A test may give two relm instances one prefix (two installs sharing a Redis).
  const prefix = options.env?.RELM_QUEUE_PREFIX ?? `relmtest${randomBytes(4).toString('hex')}`;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const env = readEnv({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    DATABASE_URL: database?.url,
    REDIS_URL,
    RELM_QUEUE_PREFIX: prefix,
    RELM_CONFIG: options.config ?? FIXTURE_CONFIG,
    // Tests post in quick succession to one channel; the pacing itself has a test of its own (channel-pacer).
    RELM_CHANNEL_BURST: '1000',
    LOG_LEVEL: 'debug',
    // Through the same validation and coercion as a real environment.
    ...options.env,
  });
  const { settings } = loadRelmFile(env.RELM_CONFIG);
  const relm = await createRelm({ env, settings, role: options.role ?? 'all', log: createLogger('debug', sink), clock: options.clock, memoryDb: !database, relayAfterMs: options.relayAfterMs ?? 1_000, relayEveryMs: options.relayEveryMs ?? 500, effectRetry: options.effectRetry, httpRetryBaseMs: options.httpRetryBaseMs, acceptGraceMs: 20, homeRefreshMs: options.homeRefreshMs });
  const baseUrl = `http://127.0.0.1:${relm.port}`;

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${baseUrl}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body), ...headers } });

  const awaitAnswer = async (responseUrl: string, viewsBefore: number, wait = true) => {
    if (!wait) return {};
    return waitFor(() => {
      const reply = slack.ephemerals.find((e) => e.responseUrl === responseUrl);
      if (reply) return { reply };
      if (slack.views.length > viewsBefore) return { view: slack.views[slack.views.length - 1]!.view };
      return undefined;
    }, `an answer on ${responseUrl}`);
  };

  const harness: Harness = {
    relm,
    slack,
    baseUrl,
    logs,
    prefix,
    env,
    post,
    async command(user, text, opts = {}) {
      const responseUrl = slack.responseUrl({ channel: opts.channel ?? 'C0PAY', user });
      const viewsBefore = slack.views.length;
      const res = await post('/slack/events', slashCommandBody({ user, text, channel: opts.channel, responseUrl }), opts.headers);
      await res.text();
      return { status: res.status, ...(res.status === 200 ? await awaitAnswer(responseUrl, viewsBefore) : {}) };
    },
    async click(user, actionId, value, message, opts = {}) {
      const responseUrl = slack.responseUrl({ channel: message.channel, user });
      const viewsBefore = slack.views.length;
      const payload = blockActionPayload({ user, actionId, value, channel: message.channel, messageTs: message.ts, responseUrl });
      const res = await post('/slack/events', interactionBody(payload), opts.headers);
      await res.text();
      return { status: res.status, ...(res.status === 200 ? await awaitAnswer(responseUrl, viewsBefore, opts.wait ?? true) : {}) };
    },
    async submitView(user, view, values) {
      const res = await post('/slack/events', interactionBody(viewSubmissionPayload({ user, view, values })));
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async openHome(user) {
      const before = slack.homes.length;
      const res = await post('/slack/events', eventBody({ type: 'app_home_opened', user, channel: `D${user.slice(1)}`, tab: 'home' }), { 'content-type': 'application/json' });
      await res.text();
      if (res.status !== 200) throw new Error(`app_home_opened answered ${res.status}`);
      return waitFor(() => slack.homes.slice(before).find((h) => h.user === user)?.view, `the Home view of ${user}`);
    },
    async clickInHome(user, actionId, value) {
      const res = await post('/slack/events', interactionBody(homeActionPayload({ user, actionId, value })));
      await res.text();
      return { status: res.status };
    },
    async settle(timeoutMs = 15_000) {
      let quiet = 0;
      await waitFor(async () => {
        // Reminders and notices held for a reader's morning wait for their moment; they are not work in hand.
        const open = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE state IN ('pending', 'sending') AND (not_before IS NULL OR not_before <= ${relm.ctx.clock()})`.execute(relm.db);
        // Work after an ack writes its effects when its turn comes: a loaded machine can leave a request
        // acknowledged but not yet worked on after the outbox looked empty three times.
        const working = (await relm.metrics.slackWorking.get()).values.reduce((sum, v) => sum + v.value, 0);
        quiet = open.rows[0]?.n === 0 && working === 0 ? quiet + 1 : 0;
        return quiet >= 3;
      }, 'the outbox to drain', timeoutMs);
    },
    async stop() {
      await relm.stop();
      await slack.stop();
      await database?.drop();
      await deleteKeys(prefix);
    },
  };
  return harness;
}
