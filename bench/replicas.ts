// bench:replicas — what a second bot and a second worker buy, against one of each in the same run.
// For each setup: N signed Slack requests spread over the bots at concurrency C (requests/s, p50/p99
// of the ack), then R releases at once from plan through approval to a completed two-wave rollout
// (releases completed per minute, counted from the first plan to the last completion).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { createDatabase } from '../src/store/database.ts';
import { SlackEmulator } from '../src/console/slack-emulator.ts';
import { FakeDeployer } from '../test/support/fake-deployer.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { spawnRelm } from '../test/support/relm-process.ts';
import { BOT_TOKEN, SIGNING_SECRET, sign, slashCommandBody } from '../test/support/slack-requests.ts';
import { deleteKeys, waitFor } from '../test/support/harness.ts';
import { sendSigned, slackBodies } from './processes.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const RELEASES = Number(process.env.BENCH_RELEASES ?? 60);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'bench-replicas-secret-0123456789';

const out = (line: string) => process.stdout.write(`${line}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function config(deployerUrl: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'relm-bench-replicas-')), 'relm.yml');
  writeFileSync(
    file,
    `timezone: UTC
release_managers: [U0RM]
services:
  shop: { name: Shop, channel: C0SHOP, audience: [C0AUD], policy: open, deployment_model: two-waves, versions: any }
policies:
  open: { approvals: { patch: { required: 1, from: [U0APP1] } }, conflicts: warn }
deployment_models:
  two-waves:
    deployer: webhook
    webhook: { url: "${deployerUrl}/deploy", secret_env: RELM_BENCH_SECRET }
    waves:
      - { name: canary, targets: [eu-1], bake: 1s }
      - { name: rest, targets: [eu-2, us-1] }
`,
  );
  return file;
}

interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  releasesPerMinute: number;
}

async function run(bots: number, workers: number, slack: SlackEmulator, deployer: FakeDeployer): Promise<Figures> {
  const database = await createTestDatabase();
  const prefix = `relmbenchrep${randomBytes(3).toString('hex')}`;
  const db = createDatabase({ url: database.url, dataDir: '', poolSize: 2 }) as unknown as Kysely<any>;
  const env = {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    DATABASE_URL: database.url,
    REDIS_URL,
    RELM_QUEUE_PREFIX: prefix,
    RELM_CONFIG: config(deployer.url),
    RELM_CHANNEL_BURST: 10_000,
    RELM_BENCH_SECRET: SECRET,
    LOG_LEVEL: 'info' as const,
    PORT: 0,
  };
  // The first process migrates alone, so the others do not time a migration.
  const procs = [spawnRelm('bot', env)];
  const portOf = (p: (typeof procs)[number]) => Number(/"port":(\d+)/.exec(p.output().split('\n').find((l) => l.includes('relm is running')) ?? '')?.[1] ?? NaN);
  await waitFor(() => !Number.isNaN(portOf(procs[0]!)), 'the first bot', 60_000).catch((error) => {
    throw new Error(`${(error as Error).message}: ${procs[0]!.output().slice(-2000)}`);
  });
  for (let i = 1; i < bots; i++) procs.push(spawnRelm('bot', env));
  for (let i = 0; i < workers; i++) procs.push(spawnRelm('worker', env));
  try {
    await waitFor(() => procs.every((p) => !Number.isNaN(portOf(p))), 'every process', 60_000);
    const ports = procs.slice(0, bots).map(portOf);
    let sent = 0;
    const command = async (user: string, text: string) => {
      const responseUrl = slack.responseUrl({ channel: 'C0SHOP', user });
      const body = slashCommandBody({ user, text, channel: 'C0SHOP', responseUrl });
      const res = await fetch(`http://127.0.0.1:${ports[sent++ % ports.length]}/slack/events`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body) } });
      await res.arrayBuffer();
      return (await waitFor(() => slack.ephemerals.find((e) => e.responseUrl === responseUrl), `an answer to ${text}`, 60_000)).text;
    };
    await command('U0DEV', 'new shop 0.0.1 --type patch --at +2h');

    // Acks: the same bodies, split evenly over the bots, the concurrency shared between them.
    const responseUrl = slack.responseUrl({ channel: 'C0SHOP', user: 'U0BENCH' });
    await Promise.all(ports.map((port) => sendSigned(port, slackBodies(100, responseUrl), 10))); // warm-up
    const started = performance.now();
    const latencies = (await Promise.all(ports.map((port) => sendSigned(port, slackBodies(REQUESTS / ports.length, responseUrl), CONCURRENCY / ports.length)))).flat().sort((a, b) => a - b);
    const seconds = (performance.now() - started) / 1000;

    // Throughput: releases at once, ten lanes of plan, submit, approve, start; then wait for completion.
    const t0 = performance.now();
    const lanes = Array.from({ length: 10 }, async (_, lane) => {
      for (let i = lane; i < RELEASES; i += 10) {
        const id = Number(/REL-(\d+)/.exec(await command('U0DEV', `new shop 1.${i}.0 --type patch --at +2h --rollback "Redeploy" --tests "CI green"`))?.[1]);
        await command('U0DEV', `submit REL-${id}`);
        await command('U0APP1', `approve REL-${id}`);
        await command('U0RM', `start REL-${id}`);
      }
    });
    await Promise.all(lanes);
    await waitFor(async () => {
      const row = await db.selectFrom('releases').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'completed').executeTakeFirstOrThrow();
      return Number(row.n) >= RELEASES || undefined;
    }, 'every rollout to complete', 600_000);
    const minutes = (performance.now() - t0) / 60_000;
    return { requestsPerSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), releasesPerMinute: RELEASES / minutes };
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await db.destroy();
    await database.drop();
    await deleteKeys(prefix);
  }
}

const slack = await new SlackEmulator().start();
const deployer = await new FakeDeployer(SECRET).start();
try {
  out(`bench:replicas  ${REQUESTS} signed requests at concurrency ${CONCURRENCY}, then ${RELEASES} releases through a two-wave rollout (1 s bake); load average before: ${loadavg()[0]!.toFixed(2)}`);
  const one = await run(1, 1, slack, deployer);
  slack.reset();
  const two = await run(2, 2, slack, deployer);
  const row = (name: string, f: Figures) => out(`  ${name.padEnd(18)} ${f.requestsPerSecond.toFixed(0).padStart(6)} req/s   ack p50 ${f.p50.toFixed(1).padStart(6)} ms   p99 ${f.p99.toFixed(1).padStart(6)} ms   ${f.releasesPerMinute.toFixed(1).padStart(6)} releases/min`);
  row('1 bot, 1 worker', one);
  row('2 bots, 2 workers', two);
  out(`  ratio 2/1: requests/s ${(two.requestsPerSecond / one.requestsPerSecond).toFixed(2)}x, p99 ack ${(two.p99 / one.p99).toFixed(2)}x, releases/min ${(two.releasesPerMinute / one.releasesPerMinute).toFixed(2)}x; load average after: ${loadavg()[0]!.toFixed(2)}`);
} finally {
  await slack.stop();
  await deployer.stop();
}
process.exit(0);
