// bench:rss — relm's resident memory after start, after 10,000 Slack requests and after 30 s idle,
// next to its JS heap, for relm as `npm start` runs it and for the same code started without its heap
// flags (src/heap-flags.ts), one after the other on this machine.
// BENCH_STORE=pglite runs the embedded store in a temp RELM_DATA_DIR instead of PostgreSQL.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOT_TOKEN, SIGNING_SECRET, sign, slashCommandBody } from '../test/support/slack-requests.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { sendSigned, slackBodies, startServer, stopProcess } from './processes.ts';

const TOTAL = Number(process.env.BENCH_REQUESTS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 30_000);
const STORE = process.env.BENCH_STORE === 'pglite' ? 'pglite' : 'postgres';
const MiB = 1024 * 1024;

const VARIANTS = [
  { label: 'relm as npm start runs it', script: ['bin/relm.js', 'start'] },
  { label: 'relm without its heap flags', script: ['src/cli.ts', 'start'] },
];

type Sample = { label: string; rss: number; anon: number; heapUsed: number; heapTotal: number };

/** VmRSS and its anonymous part from /proc (Linux), in MiB. */
function rssOf(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, anon: kb('RssAnon') / 1024 };
}

/** The JS heap in use and the V8 heap's size, from relm's own /metrics, in MiB. */
async function heapOf(port: number): Promise<{ heapUsed: number; heapTotal: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0) / MiB;
  return { heapUsed: value('relm_nodejs_heap_size_used_bytes'), heapTotal: value('relm_nodejs_heap_size_total_bytes') };
}

async function measure(script: string[], sinkUrl: string): Promise<Sample[]> {
  const database = STORE === 'postgres' ? await createTestDatabase() : undefined;
  const dataDir = STORE === 'pglite' ? mkdtempSync(join(tmpdir(), 'relm-rss-')) : undefined;
  const samples: Sample[] = [];
  try {
    const relm = await startServer(script, {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: `${sinkUrl}/api/`,
      ...(database ? { DATABASE_URL: database.url } : { RELM_DATA_DIR: dataDir! }),
      RELM_CONFIG: 'test/fixtures/relm.test.yml',
      RELM_QUEUE_PREFIX: `relmbench${randomBytes(3).toString('hex')}`,
      LOG_LEVEL: 'info',
    });
    const sample = async (label: string) => samples.push({ label, ...rssOf(relm.child.pid!), ...(await heapOf(relm.port)) });
    try {
      // One release, so `show REL-1` and the Approve clicks do real work.
      const plan = slashCommandBody({ user: 'U0DEV', text: 'new payments 1.0.0', responseUrl: `${sinkUrl}/response/plan` });
      await fetch(`http://127.0.0.1:${relm.port}/slack/events`, { method: 'POST', body: plan, headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(plan) } });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await sample('after start');
      await sendSigned(relm.port, slackBodies(TOTAL, `${sinkUrl}/response/bench`), CONCURRENCY);
      await sample(`after ${TOTAL.toLocaleString('en')} requests`);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      await sample(`after ${IDLE_MS / 1000} s idle`);
    } finally {
      await stopProcess(relm.child);
    }
  } finally {
    await database?.drop().catch(() => {});
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
  return samples;
}

const sink = await startServer(['bench/slack-sink.ts'], {});
try {
  const fmt = (n: number) => `${n.toFixed(0).padStart(4)} MiB`;
  process.stdout.write(`bench:rss  ${STORE} store, ${TOTAL} requests (3/4 slash commands, 1/4 button clicks), concurrency ${CONCURRENCY}\n`);
  for (const variant of VARIANTS) {
    const samples = await measure(variant.script, `http://127.0.0.1:${sink.port}`);
    process.stdout.write(`  ${variant.label}\n`);
    for (const s of samples) process.stdout.write(`    ${s.label.padEnd(24)} RSS ${fmt(s.rss)} (anonymous ${fmt(s.anon)})  JS heap ${fmt(s.heapUsed)} used of ${fmt(s.heapTotal)}\n`);
  }
  process.stdout.write('  target: RSS under 300 MiB after the requests and after idle\n');
} finally {
  await stopProcess(sink.child);
}
