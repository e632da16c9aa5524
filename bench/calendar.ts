// bench:calendar — `/release calendar` over 10,000 scheduled releases with conflicts and locks.
// Seeds a fresh PostgreSQL database, then times calendarView (the releases query, the locks query and
// the sweep that finds overlapping rollouts) and its rendering, several rounds, and prints the figures.
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { liveReleasesBetween } from '../src/store/repositories/releases.ts';
import { LIVE_STATES } from '../src/core/conflicts.ts';
import { createDatabase, migrateToLatest } from '../src/store/database.ts';
import { parseRelmFile } from '../src/config/relm-file.ts';
import { calendarView } from '../src/core/usecases/calendar.ts';
import { findConflicts, occupancyOf, type Occupancy } from '../src/core/conflicts.ts';
import { renderCalendar } from '../src/bot/blocks/calendar.ts';
import type { CoreContext } from '../src/core/context.ts';
import { createTestDatabase } from '../test/support/postgres.ts';

const RELEASES = Number(process.env.BENCH_RELEASES ?? 10_000);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 50);
const DAYS = Number(process.env.BENCH_DAYS ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
// BENCH_SHARED=1: every service also deploys to core-db, a dense worst case with tens of thousands of overlaps.
const SHARED = process.env.BENCH_SHARED === '1';

// Each service has its own model and targets; every fifth also deploys to a shared database cluster
// (core-db), so conflicts are found both on a service and across services.
const services = Array.from({ length: SERVICES }, (_, i) => `  s${i}: { name: Service ${i}, channel: C0BENCH, policy: open, deployment_model: m${i} }`).join('\n');
const models = Array.from({ length: SERVICES }, (_, i) =>
  i % 2
    ? `  m${i}: { waves: [{ name: canary, targets: [s${i}-eu-1], bake: 30m }, { name: rest, targets: [s${i}-eu-2, s${i}-us-1${SHARED || i % 5 === 1 ? ', core-db' : ''}] }] }`
    : `  m${i}: { waves: [{ name: all, targets: [s${i}-eu-1, s${i}-us-1${SHARED || i % 5 === 0 ? ', core-db' : ''}], bake: 10m }] }`,
).join('\n');
const { settings } = parseRelmFile(`
timezone: UTC
groups: { approvers: [U0APP] }
services:
${services}
policies:
  open:
    approvals: { minor: { required: 1, from: [approvers] } }
deployment_models:
${models}
`);

const database = await createTestDatabase();
const db = createDatabase({ url: database.url, dataDir: '' });
try {
  await migrateToLatest(db);
  const now = new Date();
  // Spread over the period at random minutes, so some rollouts overlap and most do not.
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const rows = Array.from({ length: RELEASES }, (_, i) => {
    const service = `s${i % SERVICES}`;
    return {
      service,
      version: `1.${Math.floor(i / SERVICES)}.0`,
      type: 'minor',
      title: `Change ${i}`,
      description: '',
      risk: 'low',
      planned_start: new Date(now.getTime() + 60_000 + Math.floor(random() * (DAYS - 1) * 1440) * 60_000),
      deployment_model: settings.services[service]!.deploymentModel,
      rollback_plan: 'redeploy',
      test_evidence: 'ci',
      training_needed: false,
      requester: 'U0DEV',
      state: i % 10 === 0 ? 'submitted' : 'scheduled',
      card_channel: 'C0BENCH',
      card_ts: null,
      created_at: now,
      updated_at: now,
      submitted_at: now,
      approved_at: now,
    };
  });
  for (let i = 0; i < rows.length; i += 1000) await db.insertInto('releases').values(rows.slice(i, i + 1000)).execute();
  await db
    .insertInto('deploy_locks')
    .values(Array.from({ length: 20 }, (_, i) => ({ service: `s${i}`, targets: JSON.stringify(i % 2 ? [`s${i}-eu-1`] : []), reason: `maintenance ${i}`, locked_by: 'U0OPS', created_at: now, expires_at: new Date(now.getTime() + 4 * 3_600_000) })))
    .execute();
  await sql`ANALYZE`.execute(db);

  const ctx = { db, settings, directory: { userGroupMembers: async () => [], timezones: async () => new Map<string, string>() }, effects: { dispatch: async () => {} }, clock: () => new Date() } as CoreContext;
  const timings: number[] = [];
  let view!: Awaited<ReturnType<typeof calendarView>>;
  let text = '';
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    view = await calendarView(ctx, DAYS);
    text = renderCalendar(view);
    timings.push(performance.now() - start);
  }
  // Its parts: the releases query, the sweep, and what comparing every pair would cost instead.
  const q = performance.now();
  await liveReleasesBetween(db, new Date(Date.now() - 86_400_000), new Date(Date.now() + DAYS * 86_400_000), LIVE_STATES);
  const queryMs = performance.now() - q;
  const spans = view.releases.map((r) => occupancyOf(settings, r, new Date())).filter((o): o is Occupancy => o !== undefined);
  let t = performance.now();
  findConflicts(spans);
  const sweepMs = performance.now() - t;
  t = performance.now();
  let pairs = 0;
  for (let i = 0; i < spans.length; i++) for (let j = i + 1; j < spans.length; j++) {
    const a = spans[i]!, b = spans[j]!;
    if ((a.service === b.service || a.targets.some((x) => b.targets.includes(x))) && a.start < b.end && b.start < a.end) pairs++;
  }
  const pairwiseMs = performance.now() - t;
  const sorted = [...timings].sort((a, b) => a - b);
  console.log(`calendar ${DAYS} days over ${view.releases.length.toLocaleString('en')} scheduled releases on ${SERVICES} services, ${view.locks.length} locks, ${view.conflictPairs.toLocaleString('en')} overlapping pairs (pairwise check: ${pairs.toLocaleString('en')})`);
  console.log(`calendarView + render, ${ROUNDS} rounds: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, min ${sorted[0]!.toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms (first ${timings[0]!.toFixed(1)} ms); message ${text.length.toLocaleString('en')} characters`);
  console.log(`releases query alone: ${queryMs.toFixed(1)} ms; conflict sweep alone: ${sweepMs.toFixed(1)} ms; comparing every pair instead: ${pairwiseMs.toFixed(1)} ms`);
} finally {
  await db.destroy();
  await database.drop();
}
