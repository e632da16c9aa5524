// bench:schedule — 1,000 releases whose first wave is due in the same second, run by 2 worker processes.
// Prints the start lag after the due time (p50/p99/max), checks every step started exactly once, and
// measures Redis memory per pending step.
import type { ChildProcess } from 'node:child_process';
import { startChild, waitForLine } from './processes.ts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createDatabase, migrateToLatest } from '../src/store/database.ts';
import { BullWaker } from '../src/jobs/rollout-queue.ts';
import { ensureInstallationId } from '../src/store/repositories/installation.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { BOT_TOKEN } from '../test/support/slack-requests.ts';

const RELEASES = Number(process.env.BENCH_RELEASES ?? 1000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const LEAD_MS = Number(process.env.BENCH_LEAD_MS ?? 15_000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `relmbench${randomBytes(3).toString('hex')}`;



const config = `
timezone: UTC
groups: { approvers: [U0APP] }
services:
  bench: { name: Bench, channel: C0BENCH, policy: open, deployment_model: one-wave }
policies:
  open:
    approvals: { minor: { required: 1, from: [approvers] } }
    conflicts: warn               # a thousand releases of one service due at once: measure the start, not the wait
deployment_models:
  one-wave:
    deployer: manual
    waves:
      - { name: all, targets: [everywhere], checklist: [Deploy] }
`;
const dir = mkdtempSync(join(tmpdir(), 'relm-bench-'));
writeFileSync(join(dir, 'relm.yml'), config);

const sink = startChild(['bench/slack-sink.ts'], {});
const sinkPort = (await waitForLine(sink, /listening (\d+)/))[1];
const database = await createTestDatabase();
const db = createDatabase({ url: database.url, dataDir: '' });
await migrateToLatest(db);
const redis = new Redis(REDIS_URL);
// The workers' queue is this database's: the same installation id, read from the same store.
const waker = new BullWaker(new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix, pino({ level: 'silent' }), { installation: await ensureInstallationId(db, new Date()), clock: () => new Date() });
const workers: ChildProcess[] = [];

try {
  const now = new Date();
  const due = new Date(Math.ceil((Date.now() + LEAD_MS) / 1000) * 1000);
  const rows = Array.from({ length: RELEASES }, (_, i) => ({
    service: 'bench',
    version: `1.0.${i}`,
    type: 'minor',
    title: `Bench ${i}`,
    description: '',
    risk: 'low',
    planned_start: due,
    deployment_model: 'one-wave',
    rollback_plan: 'redeploy',
    test_evidence: 'ci',
    training_needed: false,
    requester: 'U0DEV',
    state: 'scheduled',
    card_channel: 'C0BENCH',
    card_ts: '1.000001',
    created_at: now,
    updated_at: now,
    submitted_at: now,
    approved_at: now,
  }));
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += 500) ids.push(...(await db.insertInto('releases').values(rows.slice(i, i + 500)).returning('id').execute()).map((r) => r.id));
  await db.insertInto('decisions').values(ids.map((id) => ({ release_id: id, revision: 1, approver: 'U0APP', decision: 'approve' as const, comment: null, decided_at: now }))).execute();

  const before = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  for (const id of ids) await waker.wakeAt(id, due);
  const after = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);

  const env = {
    DATABASE_URL: database.url,
    REDIS_URL,
    RELM_QUEUE_PREFIX: prefix,
    RELM_CONFIG: join(dir, 'relm.yml'),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: `http://127.0.0.1:${sinkPort}/api/`,
    PORT: '0',
    LOG_LEVEL: 'info',
  };
  for (let i = 0; i < WORKERS; i++) {
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each worker there, to see where a tick's time goes.
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const worker = startChild([...profile, 'src/cli.ts', 'worker'], env);
    workers.push(worker);
    await waitForLine(worker, /relm is running/);
  }
  process.stdout.write(`bench:schedule  ${RELEASES} releases, first wave due at ${due.toISOString()}, ${WORKERS} worker processes\n`);

  const deadline = Date.now() + LEAD_MS + 120_000;
  let started = 0;
  while (Date.now() < deadline) {
    started = Number((await db.selectFrom('rollout_steps').select(db.fn.countAll<string>().as('n')).where('started_at', 'is not', null).executeTakeFirstOrThrow()).n);
    if (started >= RELEASES) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const steps = await db.selectFrom('rollout_steps').select(['release_id', 'started_at']).execute();
  const perRelease = new Map<number, number>();
  for (const s of steps) perRelease.set(s.release_id, (perRelease.get(s.release_id) ?? 0) + 1);
  const startedAudit = Number((await db.selectFrom('audit_log').select(db.fn.countAll<string>().as('n')).where('action', '=', 'wave_started').executeTakeFirstOrThrow()).n);
  const lags = steps.filter((s) => s.started_at).map((s) => s.started_at!.getTime() - due.getTime()).sort((a, b) => a - b);
  const pct = (p: number) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))]!;
  const once = steps.length === RELEASES && [...perRelease.values()].every((n) => n === 1) && startedAudit === RELEASES;

  process.stdout.write(`  steps started: ${lags.length} of ${RELEASES}; exactly once each: ${once ? 'yes' : `NO (${steps.length} steps, ${startedAudit} start entries)`}\n`);
  process.stdout.write(`  start lag after due time  p50 ${pct(50)} ms  p99 ${pct(99)} ms  max ${lags[lags.length - 1]} ms  (target p99 < 1000 ms)\n`);
  process.stdout.write(`  never early: ${lags[0]! >= 0 ? 'yes' : `NO (earliest ${lags[0]} ms)`}\n`);
  process.stdout.write(`  Redis memory per pending step: ${Math.round((after - before) / RELEASES)} bytes (${((after - before) / 1024 / 1024).toFixed(2)} MiB for ${RELEASES})\n`);
  if (process.env.BENCH_DEBUG) {
    const jobs = await waker.queue.getJobs(['completed'], 0, RELEASES * 3);
    const ticks = jobs.filter((j) => j.id?.endsWith(`-${due.getTime()}`) && j.processedOn);
    const pickLag = ticks.map((j) => j.processedOn! - due.getTime()).sort((a, b) => a - b);
    const runTime = ticks.map((j) => j.finishedOn! - j.processedOn!).sort((a, b) => a - b);
    const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
    process.stdout.write(`  debug: ${ticks.length} tick jobs; picked up after due p50 ${q(pickLag, 50)} p99 ${q(pickLag, 99)} ms; tick run time p50 ${q(runTime, 50)} p99 ${q(runTime, 99)} ms\n`);
  }
  if (!once || lags.length < RELEASES) process.exitCode = 1;
} finally {
  await Promise.all(workers.map((w) => new Promise((resolve) => { w.once('exit', resolve); w.kill('SIGTERM'); })));
  sink.kill('SIGTERM');
  await waker.close();
  await db.destroy();
  await database.drop().catch(() => {});
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  process.exit();
}
