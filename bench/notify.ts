// bench:notify — one release whose audience is a user group of 10,000 people and 50 channels, told by
// 2 worker processes (one SIGKILLed half-way) through a fake Slack that allows 1 post a second per
// channel and a workspace-wide bucket, answering 429 with Retry-After. Prints what was delivered,
// duplicates, losses, the 429s met, the rate achieved against the allowed one, the time to reach
// everyone, and Redis memory per pending notice.
import type { ChildProcess } from 'node:child_process';
import { startChild, waitForLine } from './processes.ts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createDatabase, migrateToLatest } from '../src/store/database.ts';
import { ensureInstallationId } from '../src/store/repositories/installation.ts';
import { BullEffectDispatcher } from '../src/jobs/effects-queue.ts';
import { SlackWebApi } from '../src/integrations/slack/web-api.ts';
import { SlackEmulator } from '../src/console/slack-emulator.ts';
import { parseRelmFile } from '../src/config/relm-file.ts';
import { planRelease } from '../src/core/usecases/plan.ts';
import { submitRelease } from '../src/core/usecases/submit.ts';
import { approveRelease } from '../src/core/usecases/decide.ts';
import type { CoreContext } from '../src/core/context.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { BOT_TOKEN } from '../test/support/slack-requests.ts';

const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 10_000);
const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 50);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `relmbench${randomBytes(3).toString('hex')}`;
const out = (line: string) => process.stdout.write(`${line}\n`);



const users = Array.from({ length: PEOPLE }, (_, i) => `U0B${String(i).padStart(5, '0')}`);
const channels = Array.from({ length: CHANNELS }, (_, i) => `C0N${String(i).padStart(3, '0')}`);
// A zone where it is early afternoon now, so the readers' quiet hours hold nothing back.
const offset = ((14 - new Date().getUTCHours() + 36) % 24) - 12;
const zone = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;

const config = `
timezone: UTC
groups: { approvers: [U0APP] }
services:
  bench: { name: Bench, channel: C0BENCH, audience: [${[...channels, 'S0EVERYONE'].join(', ')}], policy: open, deployment_model: one-wave }
policies:
  open:
    approvals: { minor: { required: 1, from: [approvers] } }
deployment_models:
  one-wave:
    deployer: manual
    waves:
      - { name: all, targets: [everywhere] }
`;
const dir = mkdtempSync(join(tmpdir(), 'relm-bench-'));
writeFileSync(join(dir, 'relm.yml'), config);

const slack = await new SlackEmulator().start();
for (const user of users) slack.users.set(user, { tz: zone });
slack.userGroups.set('S0EVERYONE', users);
const database = await createTestDatabase();
const db = createDatabase({ url: database.url, dataDir: '' });
await migrateToLatest(db);
const installation = await ensureInstallationId(db, new Date());
const redis = new Redis(REDIS_URL);
const dispatcher = new BullEffectDispatcher(new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix, pino({ level: 'silent' }), { installation });
const { settings } = parseRelmFile(config);
const ctx: CoreContext = { db, settings, directory: new SlackWebApi({ token: BOT_TOKEN, apiUrl: slack.apiUrl }), effects: dispatcher, clock: () => new Date() };
const workers: ChildProcess[] = [];
const env = {
  DATABASE_URL: database.url,
  REDIS_URL,
  RELM_QUEUE_PREFIX: prefix,
  RELM_CONFIG: join(dir, 'relm.yml'),
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_API_URL: slack.apiUrl,
  PORT: '0',
  LOG_LEVEL: 'warn',
  RELM_NOTICES_PER_SECOND: String(RATE),
  RELM_CHANNEL_BURST: '1',
  RELM_JOB_LOCK_MS: '5000',
};

try {
  for (let i = 0; i < 2; i++) {
    const worker = startChild(['src/cli.ts', 'worker'], { ...env, LOG_LEVEL: 'info' });
    workers.push(worker);
    await waitForLine(worker, /relm is running/);
  }
  slack.limitPosts({ perChannelPerSecond: 1, workspacePerSecond: RATE });
  const baseline = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  out(`bench:notify  ${PEOPLE} people in a user group + ${CHANNELS} channels; Slack allows 1 post/s per channel and ${RATE}/s in the workspace; 2 worker processes`);

  const { release } = await planRelease(ctx, 'U0DEV', { service: 'bench', version: '1.0.0', title: 'Bench', plannedStart: new Date(Date.now() + 3 * 3_600_000), rollbackPlan: 'redeploy', testEvidence: 'ci' });
  await submitRelease(ctx, 'U0DEV', release.id);
  const began = Date.now();
  await approveRelease(ctx, 'U0APP', release.id, null);

  const dms = () => slack.messages.filter((m) => m.channel.startsWith('D0B'));
  const audienceChannelPosts = () => slack.messages.filter((m) => m.channel.startsWith('C0N'));
  // Redis memory per pending notice: sampled while the fan-out's jobs wait for their turn.
  let perNotice = 0;
  let killed = false;
  const deadline = Date.now() + 20 * 60_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const waiting = await dispatcher.notices.getWaitingCount();
    if (!perNotice && waiting > PEOPLE / 2) {
      const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
      perNotice = Math.round((used - baseline) / waiting);
    }
    if (!killed && dms().length >= PEOPLE / 2) {
      workers[0]!.kill('SIGKILL');
      killed = true;
      out(`  worker 1 SIGKILLed after ${dms().length} DMs (${((Date.now() - began) / 1000).toFixed(1)} s)`);
    }
    if (new Set(dms().map((m) => m.channel)).size >= PEOPLE && audienceChannelPosts().length >= CHANNELS * 2) break;
  }
  const reached = Date.now() - began;
  await new Promise((resolve) => setTimeout(resolve, 3_000));

  const keys = [...dms(), ...audienceChannelPosts()].map((m) => m.metadata?.event_payload?.key as string);
  const duplicates = keys.length - new Set(keys).size;
  const lost = PEOPLE - new Set(dms().map((m) => m.channel)).size + Math.max(0, CHANNELS * 2 - audienceChannelPosts().length);
  const posts = slack.callsTo('chat.postMessage');
  const limited = posts.filter((c) => c.limited).length;
  const dmPosts = posts.filter((c) => String(c.args.channel).startsWith('D0B') && !c.limited);
  const span = (dmPosts.at(-1)!.at - dmPosts[0]!.at) / 1000;
  const achieved = (dmPosts.length - 1) / span;
  out(`  messages delivered: ${dms().length} DMs + ${audienceChannelPosts().length} channel posts (${CHANNELS} notices and their thread replies)`);
  out(`  duplicates: ${duplicates} (must be 0)   lost: ${lost} (must be 0)`);
  out(`  429s received: ${limited}`);
  out(`  achieved DM rate: ${achieved.toFixed(1)}/s of ${RATE}/s allowed = ${((achieved / RATE) * 100).toFixed(1)}% (target >= 95%)`);
  out(`  time to reach everyone: ${(reached / 1000).toFixed(1)} s (the allowed rate alone needs ${(PEOPLE / RATE).toFixed(0)} s)`);
  out(`  Redis memory per pending notice: ${perNotice} bytes`);
  out(`  users.list pages: ${slack.callsTo('users.list').length}, users.info calls: ${slack.callsTo('users.info').length}, conversations.open calls: ${slack.callsTo('conversations.open').length}`);
  if (duplicates || lost) process.exitCode = 1;
} finally {
  await Promise.all(workers.filter((w) => w.exitCode === null && !w.killed).map((w) => new Promise((resolve) => { w.once('exit', resolve); w.kill('SIGTERM'); })));
  await dispatcher.close();
  await slack.stop();
  await db.destroy();
  await database.drop().catch(() => {});
  const left = await redis.keys(`${prefix}:*`);
  if (left.length) await redis.del(...left);
  redis.disconnect();
  process.exit();
}
