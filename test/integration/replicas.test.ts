import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Kysely, sql } from 'kysely';
import { createDatabase } from '../../src/store/database.ts';
import { SlackEmulator } from '../../src/console/slack-emulator.ts';
import { FakeJira } from '../support/fake-jira.ts';
import { FakeDeployer } from '../support/fake-deployer.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { spawnRelm } from '../support/relm-process.ts';
import { BOT_TOKEN, SIGNING_SECRET, sign, slashCommandBody } from '../support/slack-requests.ts';
import { deleteKeys, waitFor } from '../support/harness.ts';

// Two `relm bot` and two `relm worker` processes on one PostgreSQL and one Redis, as production runs
// them: requests are spread over both bots, 50 releases go from plan to a completed two-wave rollout at
// once, and a worker is SIGKILLed half-way. Everything that must happen once happens once.
const RELEASES = 50;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'replicas-deploy-secret-0123456789';

function config(deployerUrl: string): string {
  const yaml = `
timezone: UTC
release_managers: [U0RM]
services:
  shop:
    name: Shop
    channel: C0SHOP
    audience: [C0AUD]
    jira_project: CHG
    policy: open
    deployment_model: two-waves
    versions: any                  # planned at once, in no order
policies:
  open:
    approvals: { patch: { required: 1, from: [U0APP1, U0APP2] } }
    conflicts: warn
deployment_models:
  two-waves:
    deployer: webhook
    webhook: { url: "${deployerUrl}/deploy", secret_env: RELM_REPLICAS_SECRET }
    waves:
      - { name: canary, targets: [eu-1], bake: 1s }
      - { name: rest, targets: [eu-2, us-1] }
`;
  const file = join(mkdtempSync(join(tmpdir(), 'relm-replicas-')), 'relm.yml');
  writeFileSync(file, yaml);
  return file;
}

type Proc = ReturnType<typeof spawnRelm>;

function portOf(proc: Proc): number | undefined {
  for (const line of proc.output().split('\n')) {
    if (!line.includes('relm is running')) continue;
    return (JSON.parse(line) as { port: number }).port;
  }
  return undefined;
}

describe('two bots and two workers on one PostgreSQL and one Redis', () => {
  let slack: SlackEmulator;
  let jira: FakeJira;
  let deployer: FakeDeployer;
  let database: { url: string; drop: () => Promise<void> };
  let db: Kysely<any>;
  const prefix = `relmrep${randomBytes(4).toString('hex')}`;
  const procs: Proc[] = [];

  beforeAll(async () => {
    slack = await new SlackEmulator().start();
    jira = await new FakeJira().start();
    deployer = await new FakeDeployer(SECRET).start();
    database = await createTestDatabase();
    // relm's own pool: a connection still closing when the database is dropped must not throw.
    db = createDatabase({ url: database.url, dataDir: '', poolSize: 2 }) as unknown as Kysely<any>;
  });

  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await db?.destroy();
    await database?.drop();
    await deleteKeys(prefix);
    await slack?.stop();
    await jira?.stop();
    await deployer?.stop();
  });

  it('runs 50 releases through plan, approval and a two-wave rollout exactly once, though a worker is killed', async () => {
    const env = {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      DATABASE_URL: database.url,
      REDIS_URL,
      RELM_QUEUE_PREFIX: prefix,
      RELM_CONFIG: config(deployer.url),
      RELM_CHANNEL_BURST: 1000,
      RELM_REPLICAS_SECRET: SECRET,
      RELM_JOB_LOCK_MS: 2_000,
      JIRA_HOST: jira.url,
      JIRA_EMAIL: 'relm@example.com',
      JIRA_API_TOKEN: 'jira-api-token-123',
      LOG_LEVEL: 'info' as const,
      PORT: 0,
    };
    // All four start together on a fresh database: one applies the migrations, the others wait for it.
    procs.push(spawnRelm('bot', env), spawnRelm('bot', env), spawnRelm('worker', env), spawnRelm('worker', env));
    const ports = await waitFor(() => {
      const found = procs.map(portOf);
      return found.every((p) => p !== undefined) ? (found as number[]) : undefined;
    }, 'all four processes to be running', 60_000);
    const migrators = procs.filter((p) => p.output().includes('applied database migrations'));
    expect(migrators).toHaveLength(1);
    const migrations = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kysely_migration`.execute(db);
    expect(migrations.rows[0]!.n).toBeGreaterThan(10);
    const bots = ports.slice(0, 2);

    let sent = 0;
    const command = async (user: string, text: string): Promise<string> => {
      const responseUrl = slack.responseUrl({ channel: 'C0SHOP', user });
      const body = slashCommandBody({ user, text, channel: 'C0SHOP', responseUrl });
      const port = bots[sent++ % bots.length]!;
      const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body) } });
      expect(res.status).toBe(200);
      await res.text();
      const reply = await waitFor(() => slack.ephemerals.find((e) => e.responseUrl === responseUrl), `an answer to "${text}"`, 30_000);
      return reply.text;
    };

    const journey = async (i: number): Promise<number> => {
      const planned = await command('U0DEV', `new shop 1.0.${i} --type patch --at +2h --rollback "Redeploy the previous image" --tests "CI run ${i} green"`);
      const id = Number(/REL-(\d+)/.exec(planned)?.[1]);
      expect(id, planned).toBeGreaterThan(0);
      expect(await command('U0DEV', `submit REL-${id}`)).not.toMatch(/went wrong|cannot/i);
      expect(await command('U0APP1', `approve REL-${id}`)).not.toMatch(/went wrong|cannot/i);
      expect(await command('U0RM', `start REL-${id}`)).not.toMatch(/went wrong|cannot/i);
      return id;
    };
    const ids: number[] = [];
    const lanes = Array.from({ length: 10 }, async (_, lane) => {
      for (let i = lane; i < RELEASES; i += 10) ids.push(await journey(i));
    });
    await Promise.all(lanes);
    expect(new Set(ids).size).toBe(RELEASES);

    const completed = async () => (await db.selectFrom('releases').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'completed').executeTakeFirstOrThrow()).n;
    // Half-way through the rollouts, one worker dies without a chance to hand anything back.
    await waitFor(async () => Number(await completed()) >= RELEASES / 4 || undefined, 'a quarter of the rollouts to complete', 90_000);
    procs[2]!.child.kill('SIGKILL');
    await waitFor(async () => Number(await completed()) === RELEASES || undefined, 'every rollout to complete', 120_000);
    await waitFor(async () => {
      const open = await db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('state', 'in', ['pending', 'sending']).executeTakeFirstOrThrow();
      return Number(open.n) === 0 || undefined;
    }, 'every effect to be done', 60_000);

    const outbox = await db.selectFrom('outbox').select(['kind', 'state', 'last_error']).execute();
    expect(outbox.filter((r) => r.state !== 'done' && r.state !== 'withdrawn').map((r) => `${r.kind} ${r.state}: ${r.last_error}`)).toEqual([]);

    const byKey = (channel: string, key: string) => slack.messages.filter((m) => m.channel === channel && m.metadata?.event_payload?.key === key);
    for (const id of ids) {
      const cards = byKey('C0SHOP', `card:${id}`);
      expect(cards, `the card of REL-${id}`).toHaveLength(1);
      expect(JSON.stringify(cards[0]!.blocks)).toContain('Completed');
      expect(byKey('C0AUD', `audience:notice:${id}:C0AUD`), `the audience notice of REL-${id}`).toHaveLength(1);
      const tickets = jira.tickets.filter((t) => t.fields.labels?.includes(`relm-rel-${id}`));
      expect(tickets, `the change ticket of REL-${id}`).toHaveLength(1);
    }
    // Every posting effect reached Slack once: no two messages carry the same outbox key.
    const keys = slack.messages.map((m) => m.metadata?.event_payload?.key).filter((k): k is string => typeof k === 'string');
    expect(keys.length - new Set(keys).size).toBe(0);
    const approvalRequests = slack.messages.filter((m) => String(m.metadata?.event_payload?.key ?? '').startsWith('approval_request'));
    expect(approvalRequests.length).toBeGreaterThanOrEqual(RELEASES);

    // Each wave of each release ran once: one completed step per wave, one deploy per wave (a retried
    // call repeats its idempotency key, never makes a second deploy).
    const steps = await db.selectFrom('rollout_steps').select(['release_id', 'wave_name', 'state']).where('kind', '=', 'deploy').execute();
    for (const id of ids) expect(steps.filter((s) => s.release_id === id).map((s) => `${s.wave_name} ${s.state}`).sort(), `the steps of REL-${id}`).toEqual(['canary succeeded', 'rest succeeded']);
    expect(new Set(deployer.calls.map((c) => c.idempotencyKey)).size).toBe(RELEASES * 2);
  }, 240_000);
});
