// bench:kpi — `/release kpi` over a history of 1,000,000 releases in three years on PostgreSQL.
// Creates the database relm_bench_kpi, runs relm's migrations, generates the newest 100,000 releases
// (set-based, with steps, checklist ticks, incidents, ratings, reviews and commits: bench/kpi-history.ts)
// and times `kpi 30d`; copies that database; adds the 900,000 older releases and times `kpi 30d`,
// `kpi 365d` and one service's `kpi 90d`, each the median of several runs of the real path
// (resolveKpiQuery + kpiReport on createDatabase's Kysely, as the command runs them); then times 30d
// on the copy and on the grown history in turns for the ratio. Prints the load times, the checks of
// the generated facts against the real triggers and of every foreign key, the figures, and each KPI
// query's plan (EXPLAIN ANALYZE, BUFFERS): which indexes it uses, and any sequential scan. Drops both
// databases at the end (BENCH_KEEP=1 keeps them). Exit 1 when a target or a check fails.
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import { createDatabase, migrateToLatest } from '../src/store/database.ts';
import { parseRelmFile } from '../src/config/relm-file.ts';
import { kpiReport, resolveKpiQuery, type KpiReport } from '../src/core/usecases/kpi.ts';
import type { DB } from '../src/store/schema.ts';
import { ADMIN_URL } from '../test/support/postgres.ts';
import { BENCH_MODELS, checkFactsAgainstTrigger, checkForeignKeys, loadHistory, type HistoryShape, type LoadTimings } from './kpi-history.ts';

const TOTAL = Number(process.env.BENCH_RELEASES ?? 1_000_000);
const FIRST = Number(process.env.BENCH_FIRST ?? 100_000);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SERVICE = process.env.BENCH_SERVICE ?? 's7';
const DATABASE = 'relm_bench_kpi';
const COPY = 'relm_bench_kpi_100k';
// A fixed "now", so every run reports over the same releases.
const NOW = new Date(process.env.BENCH_NOW ?? '2026-12-01T00:00:00Z');
const DAY_S = 86_400;
const TARGETS = { '30d': 300, '365d': 1_000, ratio: 1.5 };

// Three years that end a day before now, so the newest rollouts have finished by then.
const shape: HistoryShape = { total: TOTAL, start: new Date(NOW.getTime() - 3 * 365 * DAY_S * 1000), spanSeconds: (3 * 365 - 1) * DAY_S, services: SERVICES };

const models = BENCH_MODELS.map((m) => `  ${m.name}:\n    deployer: ${m.deployer}${m.deployer === 'webhook' ? '\n    webhook: { url: "http://127.0.0.1:9/deploy" }' : ''}\n    waves:\n${m.waves.map((w, i) => `      - { name: ${w}, targets: [${w}-target]${i < m.waves.length - 1 && m.bakeMinutes ? `, bake: ${m.bakeMinutes}m` : ''} }`).join('\n')}`).join('\n');
const services = Array.from({ length: SERVICES }, (_, i) => `  s${i}: { name: Service ${i}, channel: C0REL${i % 20}, policy: standard, deployment_model: ${BENCH_MODELS[i % BENCH_MODELS.length]!.name} }`).join('\n');
const { settings } = parseRelmFile(`
timezone: Europe/London
groups: { approvers: [U0APP] }
services:
${services}
policies:
  standard:
    approvals: { minor: { required: 1, from: [approvers] } }
deployment_models:
${models}
`);

const fmt = (n: number) => n.toLocaleString('en');
const ms = (n: number) => `${n.toFixed(1)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function printLoad(label: string, load: LoadTimings, totalMs: number): void {
  const parts = Object.entries(load.ms).map(([table, t]) => `${table} ${(t / 1000).toFixed(1)} s${load.rows[table] !== undefined && !table.startsWith('generate') && table !== 'facts' ? ` (${fmt(load.rows[table]!)} rows)` : ''}`);
  console.log(`${label}: ${(totalMs / 1000).toFixed(1)} s — ${parts.join('; ')}`);
}

async function checkKeys(client: pg.Client, load: LoadTimings): Promise<boolean> {
  if (load.rowChecks) return true;
  const began = performance.now();
  const keys = await checkForeignKeys(client);
  console.log(`  foreign keys (not checked row by row during the load): ${keys.keys} checked set-based over ${fmt(keys.rows)} rows in ${ms(performance.now() - began)}, ${keys.orphans} rows reference nothing`);
  return keys.orphans === 0;
}

/** The report as `/release kpi <words>` makes it, once, timed. */
async function runKpi(db: Kysely<DB>, words: string): Promise<{ ms: number; report: KpiReport }> {
  const began = performance.now();
  const report = await kpiReport({ db, settings }, resolveKpiQuery(settings, words, NOW));
  return { ms: performance.now() - began, report };
}

/** One warm-up, then ROUNDS runs. */
async function timeKpi(db: Kysely<DB>, words: string): Promise<{ median: number; min: number; max: number; report: KpiReport }> {
  let { report } = await runKpi(db, words);
  const runs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const run = await runKpi(db, words);
    runs.push(run.ms);
    report = run.report;
  }
  return { median: median(runs), min: Math.min(...runs), max: Math.max(...runs), report };
}

function summary(report: KpiReport): string {
  const get = (key: string) => report.figures.find((f) => f.key === key)?.value ?? null;
  const pct = (key: string) => `${(get(key) ?? 0).toFixed(1)}%`;
  return `${fmt(get('releases') ?? 0)} ended (previous ${fmt(report.figures.find((f) => f.key === 'releases')?.previous ?? 0)}); on schedule ${pct('on_schedule')}, rescheduled/delayed ${pct('rescheduled_or_delayed')}, rolled back ${pct('backed_out')}, failed ${pct('failed')}, emergency ${pct('emergency_share')}, incidents ${fmt(get('incidents') ?? 0)}, change failure rate ${pct('change_failure_rate')}, satisfaction ${(get('satisfaction') ?? 0).toFixed(2)}, reviews ${get('reviews_done')}/${get('reviews_due')} due, deployments/day ${(get('deployment_frequency') ?? 0).toFixed(1)}`;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** The scan nodes of a plan: index scans by index name, and sequential scans by table. */
function scans(node: PlanNode, out: string[] = []): string[] {
  const rows = (node['Actual Rows'] ?? 0) * (node['Actual Loops'] ?? 1);
  if (node['Index Name']) out.push(`${node['Node Type']} using ${node['Index Name']}${node['Relation Name'] ? ` on ${node['Relation Name']}` : ''} (${fmt(rows)} rows${(node['Actual Loops'] ?? 1) > 1 ? ` over ${fmt(node['Actual Loops']!)} loops` : ''})`);
  else if (node['Node Type'] === 'Seq Scan') out.push(`SEQ SCAN on ${node['Relation Name']} (${fmt(rows)} rows kept, ${fmt(node['Rows Removed by Filter'] ?? 0)} removed)`);
  for (const child of node.Plans ?? []) scans(child, out);
  return out;
}

const queryName = (text: string) => (text.includes('WITH r AS') ? 'kpiAggregates' : text.includes('FILTER (WHERE r.reviewed)') ? 'reviewCounts' : text.trim().slice(0, 40));

/** Runs the report once through a Kysely that records each query, then EXPLAINs each one as it was sent. */
async function explainKpi(url: string, client: pg.Client, words: string): Promise<void> {
  const sent: { sql: string; parameters: readonly unknown[]; ms: number }[] = [];
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const logged = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: (e: LogEvent) => void (e.level === 'query' && sent.push({ sql: e.query.sql, parameters: e.query.parameters, ms: e.queryDurationMillis })) });
  try {
    await kpiReport({ db: logged, settings }, resolveKpiQuery(settings, words, NOW));
  } finally {
    await logged.destroy();
  }
  console.log(`  plans of \`kpi ${words}\`:`);
  for (const query of sent.filter((q) => !/^\s*(begin|commit|rollback|set)\b/i.test(q.sql))) {
    // kpiAggregates runs in a transaction with JIT off (see the repository); EXPLAIN it the same way.
    const withoutJit = queryName(query.sql) === 'kpiAggregates';
    if (withoutJit) await client.query('BEGIN; SET LOCAL jit = off');
    const result = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${query.sql}`, query.parameters as unknown[]);
    if (withoutJit) await client.query('COMMIT');
    const plan = (result.rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode & { 'Shared Hit Blocks': number; 'Shared Read Blocks': number }; 'Planning Time': number; 'Execution Time': number; JIT?: { Timing: { Total: number } } }] })['QUERY PLAN'][0];
    const jit = plan.JIT ? `, JIT ${ms(plan.JIT.Timing.Total)}` : '';
    console.log(`    ${queryName(query.sql)}: ${ms(plan['Execution Time'])} executing (${ms(query.ms)} in the report), planning ${ms(plan['Planning Time'])}${jit}, buffers hit ${fmt(plan.Plan['Shared Hit Blocks'])} read ${fmt(plan.Plan['Shared Read Blocks'])}`);
    for (const line of scans(plan.Plan)) console.log(`      ${line}`);
  }
}

async function vacuumAnalyze(client: pg.Client): Promise<number> {
  // autovacuum may be off (it is on this machine); a production database has it on, so the planner has statistics and the visibility map is set.
  const began = performance.now();
  await client.query('VACUUM (ANALYZE)');
  return performance.now() - began;
}

async function checkFacts(client: pg.Client): Promise<boolean> {
  const check = await checkFactsAgainstTrigger(client, 5_000);
  console.log(
    `  facts against the real triggers on ${fmt(check.checked)} sampled ended releases: failed_at and manual minutes (${fmt(check.withFailure)} and ${fmt(check.withManual)} set) ${check.mismatched} differ; ` +
      `incident, rating, first-commit and review facts (${fmt(check.withCounts)} with one) ${check.countsMismatched} differ; the finishing UPDATE through the trigger costs ${check.msPerRelease.toFixed(3)} ms per release (${((check.msPerRelease * TOTAL) / 1000).toFixed(0)} s for ${fmt(TOTAL)})`,
  );
  return check.mismatched === 0 && check.countsMismatched === 0;
}

/** A database of the bench: relm's pool (the code path timed) and one client (the loader, EXPLAIN). */
async function open(name: string): Promise<{ url: string; db: Kysely<DB>; client: pg.Client; close: () => Promise<void> }> {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = createDatabase({ url: url.toString(), dataDir: '' });
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return { url: url.toString(), db, client, close: async () => void (await Promise.allSettled([client.end(), db.destroy()])) };
}

const load = () => `load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`;

for (const name of [DATABASE, COPY]) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
await admin(`CREATE DATABASE ${DATABASE}`);
let main = await open(DATABASE);
let copy: Awaited<ReturnType<typeof open>> | undefined;
let ok = true;
try {
  await migrateToLatest(main.db);
  console.log(`history: ${fmt(TOTAL)} releases on ${SERVICES} services from ${shape.start.toISOString().slice(0, 10)} to ${NOW.toISOString().slice(0, 10)} (${(TOTAL / (shape.spanSeconds / DAY_S)).toFixed(0)} a day); now = ${NOW.toISOString()}; ${ROUNDS} timed runs after one warm-up, median; ${cpus().length} CPUs, ${load()}`);

  let began = performance.now();
  const first = await loadHistory(main.client, shape, TOTAL - FIRST, TOTAL, { rebuildIndexes: true });
  printLoad(`load the newest ${fmt(FIRST)}`, first, performance.now() - began);
  ok = (await checkKeys(main.client, first)) && ok;
  ok = (await checkFacts(main.client)) && ok;
  console.log(`  VACUUM ANALYZE: ${ms(await vacuumAnalyze(main.client))}`);
  const small = await timeKpi(main.db, '30d');
  console.log(`kpi 30d at ${fmt(FIRST)}: median ${ms(small.median)} (min ${ms(small.min)}, max ${ms(small.max)}; ${load()}); ${summary(small.report)}`);
  await explainKpi(main.url, main.client, '30d');

  // A copy of the 100,000 for the ratio below, timed in turns with the grown history.
  await main.close();
  began = performance.now();
  await admin(`CREATE DATABASE ${COPY} TEMPLATE ${DATABASE}`);
  console.log(`  copied to ${COPY} in ${ms(performance.now() - began)}`);
  main = await open(DATABASE);

  began = performance.now();
  const rest = await loadHistory(main.client, shape, 0, TOTAL - FIRST, { rebuildIndexes: true });
  printLoad(`load the older ${fmt(TOTAL - FIRST)}`, rest, performance.now() - began);
  ok = (await checkKeys(main.client, rest)) && ok;
  ok = (await checkFacts(main.client)) && ok;
  console.log(`  VACUUM ANALYZE: ${ms(await vacuumAnalyze(main.client))}`);
  const sizes = await main.client.query<{ rel: string; rows: string; size: string }>(
    `SELECT c.relname AS rel, c.reltuples::bigint AS rows, pg_size_pretty(pg_total_relation_size(c.oid)) AS size FROM pg_class c
     WHERE c.relname IN ('releases', 'rollout_steps', 'checklist_ticks', 'incidents', 'ratings', 'reviews', 'release_commits', 'unauthorised_versions', 'releases_ended_kpi') ORDER BY pg_total_relation_size(c.oid) DESC`,
  );
  console.log(`  tables (with their indexes): ${sizes.rows.map((r) => `${r.rel} ${fmt(Number(r.rows))} rows ${r.size}`).join('; ')}`);

  const results: [string, Awaited<ReturnType<typeof timeKpi>>][] = [];
  for (const words of ['30d', '365d', `90d ${SERVICE}`]) {
    const timed = await timeKpi(main.db, words);
    results.push([words, timed]);
    console.log(`kpi ${words} at ${fmt(TOTAL)}: median ${ms(timed.median)} (min ${ms(timed.min)}, max ${ms(timed.max)}; ${load()}); ${summary(timed.report)}`);
  }
  for (const [words] of results) await explainKpi(main.url, main.client, words);

  // The same 30 days at 100,000 and at 1,000,000, one run on each in turn, so that whatever else the
  // machine is doing weighs on both alike.
  copy = await open(COPY);
  const turns = { small: [] as number[], large: [] as number[] };
  await runKpi(copy.db, '30d');
  for (let i = 0; i < ROUNDS; i++) {
    turns.small.push((await runKpi(copy.db, '30d')).ms);
    turns.large.push((await runKpi(main.db, '30d')).ms);
  }
  const inTurns = median(turns.large) / median(turns.small);
  console.log(`kpi 30d in turns, ${ROUNDS} runs each: ${fmt(FIRST)} median ${ms(median(turns.small))}, ${fmt(TOTAL)} median ${ms(median(turns.large))} (${load()})`);

  const at30 = results[0]![1].median;
  const at365 = results[1]![1].median;
  const ratio = at30 / small.median;
  console.log(`ratio 30d at ${fmt(TOTAL)} / 30d at ${fmt(FIRST)}: ${inTurns.toFixed(2)}x timed in turns (${ratio.toFixed(2)}x from the two medians above, minutes apart)`);
  const verdicts = [
    [`30d ${ms(at30)} ≤ ${TARGETS['30d']} ms`, at30 <= TARGETS['30d']],
    [`365d ${ms(at365)} ≤ ${TARGETS['365d']} ms`, at365 <= TARGETS['365d']],
    [`ratio ${inTurns.toFixed(2)}x ≤ ${TARGETS.ratio}x`, inTurns <= TARGETS.ratio],
  ] as const;
  for (const [what, met] of verdicts) console.log(`${met ? 'met' : 'MISSED'}: ${what}`);
  ok = ok && verdicts.every(([, met]) => met);
} finally {
  await main.close();
  await copy?.close();
  if (process.env.BENCH_KEEP !== '1') for (const name of [DATABASE, COPY]) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
if (!ok) process.exitCode = 1;
