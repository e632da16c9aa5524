// bench:ack — how fast relm acknowledges Slack, against a bare Bolt app in the same run.
// N signed slash commands and button clicks at concurrency C against each; prints p50/p99 and the ratio.
import { randomBytes } from 'node:crypto';
import { BOT_TOKEN, SIGNING_SECRET, sign, slashCommandBody } from '../test/support/slack-requests.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { sendSigned, slackBodies, startServer, stopProcess } from './processes.ts';

const TOTAL = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const load = (port: number, requests: number) => sendSigned(port, slackBodies(requests, `${sinkUrl}/response/bench`), CONCURRENCY);

const sink = await startServer(['bench/slack-sink.ts'], {});
const sinkUrl = `http://127.0.0.1:${sink.port}`;
const database = await createTestDatabase();
const common = { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: `${sinkUrl}/api/` };
const bare = await startServer(['bench/bare-bolt.ts'], common);
const relm = await startServer(['bin/relm.js', 'start'], {
  ...common,
  DATABASE_URL: database.url,
  RELM_CONFIG: 'test/fixtures/relm.test.yml',
  RELM_QUEUE_PREFIX: `relmbench${randomBytes(3).toString('hex')}`,
  LOG_LEVEL: 'info',
});

try {
  // One submitted release, so `show REL-1` and the Approve clicks do real work in relm.
  const plan = slashCommandBody({ user: 'U0DEV', text: 'new payments 1.0.0', responseUrl: `${sinkUrl}/response/plan` });
  await fetch(`http://127.0.0.1:${relm.port}/slack/events`, { method: 'POST', body: plan, headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(plan) } });
  await load(bare.port, 200); // warm-up
  await load(relm.port, 200);
  const results: Record<string, number[]> = { bare: [], relm: [] };
  // Alternate the two in rounds so machine noise falls on both alike.
  for (let round = 0; round < 4; round++) {
    const order = round % 2 === 0 ? (['bare', 'relm'] as const) : (['relm', 'bare'] as const);
    for (const name of order) results[name]!.push(...(await load((name === 'bare' ? bare : relm).port, TOTAL / 4)));
  }
  const summary = Object.fromEntries(
    Object.entries(results).map(([name, values]) => {
      const sorted = values.sort((a, b) => a - b);
      return [name, { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! }];
    }),
  ) as Record<'bare' | 'relm', { p50: number; p99: number; max: number }>;
  const fmt = (n: number) => `${n.toFixed(1)} ms`;
  process.stdout.write(`bench:ack  ${TOTAL} requests each (3/4 slash commands, 1/4 button clicks), concurrency ${CONCURRENCY}\n`);
  process.stdout.write(`  bare Bolt  p50 ${fmt(summary.bare.p50)}  p99 ${fmt(summary.bare.p99)}  max ${fmt(summary.bare.max)}\n`);
  process.stdout.write(`  relm       p50 ${fmt(summary.relm.p50)}  p99 ${fmt(summary.relm.p99)}  max ${fmt(summary.relm.max)}\n`);
  process.stdout.write(`  ratio relm/bare  p50 ${(summary.relm.p50 / summary.bare.p50).toFixed(2)}x  p99 ${(summary.relm.p99 / summary.bare.p99).toFixed(2)}x  (target p99 <= 1.5x and < 100 ms)\n`);
} finally {
  await Promise.all([stopProcess(bare.child), stopProcess(relm.child)]);
  await stopProcess(sink.child);
  await database.drop().catch(() => {});
}
