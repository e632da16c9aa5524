// The release history bench:kpi reports over, generated in PostgreSQL with set-based INSERT ... SELECT
// over generate_series: no row goes through Node. Release k (0 = the oldest) is the k-th of `total`
// spread evenly over the span, so loading [900k, 1M) first and [0, 900k) later gives the same last
// 100,000 releases either way, and growing the history adds older releases only: the last 30 days hold
// the same releases at 100,000 and at 1,000,000. Every random choice is a hash of k (and a salt), so a
// run is repeatable.
//
// The KPI facts the releases_kpi_facts trigger keeps (failed_at, manual_minutes, revisions, rejections)
// are written in the same INSERT: that trigger is BEFORE UPDATE, so an INSERT does not fire it, and
// replaying each release's lifecycle as UPDATEs would cost minutes (printed: the trigger's cost per
// release) and leave 1,000,000 dead rows. failed_at and manual_minutes are computed with the trigger's
// own formulas over the generated steps and checklist ticks. The facts the kpi-release-counts triggers
// keep (incidents, ratings, the first commit, the review) are written with the release too when the
// load runs without triggers: as a superuser, which also skips the row-by-row foreign key checks, as
// PostgreSQL advises for bulk loads (checkForeignKeys then checks every key set-based). Otherwise the
// triggers count as the children go in. `checkFactsAgainstTrigger` fires the real triggers on a sample
// and compares.
import type pg from 'pg';

export interface HistoryShape {
  /** Releases in the whole history; release k's time is k / total of the span. */
  total: number;
  /** The history's start and length. */
  start: Date;
  spanSeconds: number;
  services: number;
}

/** A deployment model of the bench's relm.yml: its waves, bake between waves and deployer. */
export interface BenchModel {
  name: string;
  waves: string[];
  bakeMinutes: number;
  deployer: 'manual' | 'github' | 'webhook';
  checklist: string[];
}

/** Service s uses model s % 4: two github waves, three manual ones, one webhook wave, two manual ones. */
export const BENCH_MODELS: BenchModel[] = [
  { name: 'canary-github', waves: ['canary', 'rest'], bakeMinutes: 30, deployer: 'github', checklist: [] },
  { name: 'three-waves', waves: ['canary', 'europe', 'global'], bakeMinutes: 45, deployer: 'manual', checklist: ['Drain traffic from the target', 'Check the dashboards'] },
  { name: 'single', waves: ['all'], bakeMinutes: 0, deployer: 'webhook', checklist: [] },
  { name: 'two-manual', waves: ['canary', 'rest'], bakeMinutes: 15, deployer: 'manual', checklist: ['Run the migrations', 'Smoke test', 'Announce in #ops'] },
];

/** A uniform number in [0, 1) from k and a salt. */
const u = (salt: number, of = 'k') => `((hashint8extended(${of}::bigint, ${salt}) & 2147483647)::float8 / 2147483648.0)`;
const arr = (values: (string | number)[]) => `ARRAY[${values.map((v) => (typeof v === 'number' ? v : `'${v}'`)).join(', ')}]`;
const pick = (column: string, values: (string | number)[]) => `(${arr(values)})[${column} + 1]`;
const ts = (epoch: string) => `to_timestamp(${epoch})`;

/**
 * The releases [from, to) as a temporary table of lifecycle times (epoch seconds) and outcomes:
 * 91.5% completed (3% of them after a failed wave retried), 4% rolled back (most after a failed wave,
 * some on an alert after a wave succeeded), 2% failed (aborted), 1.5% cancelled, 1% rejected and left;
 * 5% emergencies, which fail twice as often; 15% rescheduled; starts mostly within 10 minutes of plan.
 */
function releasesSql(shape: HistoryShape, from: number, to: number): string {
  const spacing = shape.spanSeconds / shape.total;
  const models = BENCH_MODELS;
  // Layers of derived columns, each kept as a subquery (OFFSET 0) so that a column used by the next
  // layer is computed once per row rather than inlined into every expression that uses it.
  const layer = (select: string, inner: string) => `(SELECT *, ${select} FROM ${inner} OFFSET 0) x`;
  const l0 = `(SELECT k, least(${shape.services - 1}, floor(${shape.services} * power(${u(1)}, 1.5)))::int AS svc, 5 + 20 * ${u(2)} AS d, ${u(3)} AS u_type,
      ${u(4)} AS u_out, ${u(5)} AS u_risk, ${u(6)} AS u_wave, ${u(7)} AS u_retry, ${u(8)} AS u_resched, ${u(9)} AS u_revise, ${u(10)} AS u_reject,
      ${u(11)} AS u_evidence, ${u(12)} AS u_people, ${shape.start.getTime() / 1000} + (k + ${u(13)}) * ${spacing} AS p, ${u(14)} AS u_approve,
      ${u(15)} AS u_submit, ${u(16)} AS u_create, ${u(17)} AS u_start, ${u(18)} AS u_start2, 5 + 30 * ${u(19)} AS rb_wait, 10 + 30 * ${u(20)} AS retry_wait, 10 + 50 * ${u(20)} AS abort_wait
    FROM generate_series(${from}, ${to - 1}) AS k) x`;
  const l1 = layer(
    `svc % ${models.length} AS m, ${pick(`svc % ${models.length}`, models.map((x) => x.waves.length))} AS w, ${pick(`svc % ${models.length}`, models.map((x) => x.bakeMinutes))} AS b,
      CASE WHEN u_type < 0.05 THEN 'emergency' WHEN u_type < 0.15 THEN 'major' WHEN u_type < 0.40 THEN 'patch' ELSE 'minor' END AS type,
      CASE WHEN u_risk < 0.6 THEN 'low' WHEN u_risk < 0.9 THEN 'medium' ELSE 'high' END AS risk`,
    l0,
  );
  // Emergencies fail twice as often, and go from plan to approval in hours rather than days.
  const l2 = layer(
    `CASE WHEN (CASE WHEN type = 'emergency' THEN u_out * 0.5 ELSE u_out END) < 0.015 THEN 'cancelled'
        WHEN (CASE WHEN type = 'emergency' THEN u_out * 0.5 ELSE u_out END) < 0.025 THEN 'rejected'
        WHEN (CASE WHEN type = 'emergency' THEN u_out * 0.5 ELSE u_out END) < 0.065 THEN 'rolled_back'
        WHEN (CASE WHEN type = 'emergency' THEN u_out * 0.5 ELSE u_out END) < 0.085 THEN 'failed' ELSE 'completed' END AS state,
      floor(u_wave * w)::int AS f,
      CASE WHEN u_resched < 0.03 THEN 2 WHEN u_resched < 0.15 THEN 1 ELSE 0 END AS resched,
      CASE WHEN u_revise < 0.08 THEN 1 ELSE 0 END AS after_submit, CASE WHEN u_revise < 0.03 THEN 1 ELSE 0 END AS after_approval,
      u_evidence < 0.03 AS no_evidence, 1 + (u_people < 0.4)::int AS people, type = 'emergency' AND u_people < 0.2 AS emergency_bypass,
      p - 3600 * CASE WHEN type = 'emergency' THEN 0.1 + 0.9 * u_approve ELSE 1 + 47 * u_approve * u_approve END AS approved,
      3600 * CASE WHEN type = 'emergency' THEN 0.1 + 0.9 * u_submit ELSE 0.5 + 71 * u_submit * u_submit END AS submit_to_approve,
      3600 * CASE WHEN type = 'emergency' THEN 0.2 + 1.8 * u_create ELSE 0.5 + 119 * u_create * u_create END AS create_to_submit,
      p + 60 * CASE WHEN u_start < 0.85 THEN 20 * u_start2 - 10 WHEN u_start < 0.97 THEN 20 + 160 * u_start2 ELSE -20 - 40 * u_start2 END AS s`,
    l1,
  );
  const l3 = layer(
    `state = 'completed' AND u_retry < 0.03 AS retried, state = 'rolled_back' AND u_retry < 0.3 AS rb_alert,
      CASE WHEN state = 'rejected' OR u_reject < 0.04 THEN 1 ELSE 0 END AS rejections,
      approved - submit_to_approve AS submitted, approved - submit_to_approve - create_to_submit AS created`,
    l2,
  );
  // The wave that failed (or after which an alert asked for the rollback), and when the rollback began.
  const l4 = layer(`CASE WHEN state IN ('rolled_back', 'failed') AND NOT rb_alert OR retried THEN s + 60 * (f * (d + b) + d) END AS fail_t`, l3);
  const l5 = layer(
    `CASE WHEN rb_alert THEN s + 60 * (f * (d + b) + d + CASE WHEN f < w - 1 THEN b ELSE 0 END + rb_wait)
        WHEN state = 'rolled_back' THEN fail_t + 60 * (5 + rb_wait / 3) END AS rb_t`,
    l4,
  );
  return `
  CREATE TEMP TABLE g AS
  SELECT k, k + 1 AS id, svc, 's' || svc AS service, m, w, d, b, type, state, risk, f, retried, rb_alert,
    resched, after_submit, after_approval, rejections, no_evidence, p, approved, submitted, created, s, fail_t, rb_t,
    CASE state
      WHEN 'completed' THEN s + 60 * (w * d + (w - 1) * b + CASE WHEN retried THEN d + retry_wait ELSE 0 END)
      WHEN 'rolled_back' THEN rb_t + 60 * (f + 1) * d / 2
      WHEN 'failed' THEN fail_t + 60 * abort_wait END AS fin,
    emergency_bypass, people, d / 2 AS rd, retry_wait
  FROM ${l5}`;
}

/**
 * The rollout steps of the ended releases, as relm's rollout writes them: one deploy step per wave
 * reached (the failed one failed), a second try of a retried wave, and a rollback step per deployed
 * wave in reverse order. Step j of release k has id 8k + j + 1, so ids are stable across phases.
 */
function stepsSql(): string[] {
  const models = BENCH_MODELS;
  const checklist = `(${arr(models.map((x) => JSON.stringify(x.checklist)))})[g.m + 1]::jsonb`;
  const columns = (j: string, kind: string, wave: string, tryNo: string, state: string, started: string, finished: string) => `
    SELECT g.id * 8 + ${j} - 7 AS id, g.id AS release_id, ${kind}::text AS kind, ${wave} AS wave, ${tryNo} AS try,
      jsonb_build_array(g.service || '-' || split_part(${pick('g.m', models.map((x) => x.waves.join(',')))}, ',', ${wave} + 1)) AS targets,
      split_part(${pick('g.m', models.map((x) => x.waves.join(',')))}, ',', ${wave} + 1) AS wave_name,
      ${pick('g.m', models.map((x) => x.deployer))} AS deployer,
      CASE WHEN ${kind} = 'deploy' THEN ${checklist} ELSE '[]'::jsonb END AS checklist,
      ${state}::text AS state, ${started} AS started, ${finished} AS finished, g.d, g.people, g.k`;
  const failedHere = `((g.retried OR g.fail_t IS NOT NULL AND g.state <> 'completed') AND w.i = g.f)`;
  const shift = `CASE WHEN g.retried AND w.i > g.f THEN g.d + g.retry_wait ELSE 0 END`;
  return [
    // Deploy try 1 of each wave reached; waves after a retried one start later by the retry's delay.
    `CREATE TEMP TABLE st AS ${columns('w.i', `'deploy'`, 'w.i', '1', `CASE WHEN ${failedHere} THEN 'failed' ELSE 'succeeded' END`,
      `g.s + 60 * (w.i * (g.d + g.b) + ${shift})`,
      `g.s + 60 * (w.i * (g.d + g.b) + g.d + CASE WHEN ${failedHere} THEN 0 ELSE CASE WHEN w.i < g.w - 1 THEN g.b ELSE 0 END + ${shift} END)`)}
    FROM g JOIN generate_series(0, ${Math.max(...models.map((x) => x.waves.length)) - 1}) AS w(i) ON w.i <= CASE WHEN g.state = 'completed' THEN g.w - 1 ELSE g.f END
    WHERE g.state IN ('completed', 'rolled_back', 'failed')`,
    `INSERT INTO st ${columns('3', `'deploy'`, 'g.f', '2', `'succeeded'`, 'g.fail_t + 60 * g.retry_wait',
      'g.fail_t + 60 * (g.retry_wait + g.d + CASE WHEN g.f < g.w - 1 THEN g.b ELSE 0 END)')} FROM g WHERE g.retried`,
    `INSERT INTO st ${columns('4 + r.i', `'rollback'`, 'g.f - r.i', '1', `'succeeded'`, 'g.rb_t + 60 * r.i * g.rd', 'g.rb_t + 60 * (r.i + 1) * g.rd')}
    FROM g JOIN generate_series(0, ${Math.max(...models.map((x) => x.waves.length)) - 1}) AS r(i) ON r.i <= g.f WHERE g.state = 'rolled_back'`,
  ];
}

/** A manual deploy step's checklist, ticked in order through the step by one or two people. */
function ticksSql(): string {
  return `
  CREATE TEMP TABLE tk AS
  SELECT st.id AS step_id, i.n AS item, 'U0OPS' || ((st.k + i.n % st.people) % 40) AS actor,
    st.started + 60 * st.d * (i.n + 1) / (jsonb_array_length(st.checklist) + 1) AS at
  FROM st JOIN generate_series(0, ${Math.max(...BENCH_MODELS.map((x) => x.checklist.length)) - 1}) AS i(n) ON i.n < jsonb_array_length(st.checklist)
  WHERE st.deployer = 'manual' AND st.kind = 'deploy'`;
}

/** The trigger's failed_at and manual_minutes (kpi-facts migration), over the generated steps. */
function factsSql(): string {
  return `
  CREATE TEMP TABLE fx AS
  SELECT st.release_id,
    ${ts(`min(st.finished) FILTER (WHERE st.kind = 'deploy' AND st.state = 'failed')`)} AS first_failed,
    ${ts(`min(st.started) FILTER (WHERE st.kind = 'rollback')`)} AS first_rollback,
    sum((t.last_at - st.started) / 60 * t.people) FILTER (WHERE st.deployer = 'manual' AND t.last_at IS NOT NULL) AS manual_minutes
  FROM st
  LEFT JOIN (SELECT step_id, max(at) AS last_at, count(DISTINCT actor) AS people FROM tk GROUP BY step_id) t ON t.step_id = st.id
  GROUP BY st.release_id`;
}

/**
 * Incidents, ratings and commits as temporary tables first, so the counts the kpi-release-counts
 * triggers keep on each release can be written with it (when the load runs without triggers).
 */
function childrenSql(): { table: string; sql: string }[] {
  const epoch = (c: string) => ts(c);
  return [
    {
      // 3% of completed releases, 45% of rolled-back and 25% of failed ones cause an incident (15% of those two); 85% resolved.
      table: 'generate incidents, ratings, reviews, commits',
      sql: `
      CREATE TEMP TABLE it AS
      SELECT g.id AS release_id, 'INC-' || (g.k * 2 + n.i) AS ref, CASE WHEN ${u(31)} < 0.4 THEN 'jira' ELSE 'slack' END AS source, 'U0OPS1' AS recorded_by,
        ${epoch('r.at')} AS recorded_at, CASE WHEN ${u(32)} < 0.85 THEN ${epoch(`r.at + 3600 * (0.25 + 23.75 * power(${u(33)}, 2))`)} END AS resolved_at
      FROM g
      CROSS JOIN LATERAL generate_series(1, CASE WHEN ${u(34)} < 0.15 THEN 2 ELSE 1 END) AS n(i)
      CROSS JOIN LATERAL (SELECT CASE WHEN g.fail_t IS NOT NULL AND g.state <> 'completed' THEN g.fail_t + 600 * n.i ELSE g.fin + 3600 * (0.5 + 47 * power(${u(35)}, 2)) + 600 * n.i END AS at) r
      WHERE (g.state = 'completed' AND ${u(30)} < 0.03) OR (g.state = 'rolled_back' AND ${u(30)} < 0.45) OR (g.state = 'failed' AND ${u(30)} < 0.25)`,
    },
    {
      // Rated three days after the rollout by one to four people: 30% of completed releases, 60% of the others.
      table: 'generate incidents, ratings, reviews, commits',
      sql: `
      CREATE TEMP TABLE rt AS
      SELECT g.id AS release_id, 'U0USER' || ((g.k * 7 + n.i) % 1000) AS rater,
        (CASE WHEN g.state = 'completed' THEN 3 + floor(3 * ${u(41)}) ELSE 1 + floor(3 * ${u(41)}) END)::int AS score, ${epoch('g.fin + 259200 + 3600 * n.i')} AS rated_at,
        CASE WHEN n.i = 1 AND ${u(42)} < 0.1 THEN 'Smooth, thanks' END AS comment, CASE WHEN n.i = 1 AND ${u(42)} < 0.1 THEN ${epoch('g.fin + 259200 + 3600 * n.i')} END AS commented_at
      FROM g CROSS JOIN LATERAL generate_series(1, 1 + floor(4 * ${u(43)})::int) AS n(i)
      WHERE g.state IN ('completed', 'rolled_back', 'failed') AND ${u(40)} < CASE WHEN g.state = 'completed' THEN 0.3 ELSE 0.6 END`,
    },
    {
      // The policy default asks a review of failed, rolled-back and emergency releases: 75% of those have one, 1% of the others.
      table: 'generate incidents, ratings, reviews, commits',
      sql: `
      CREATE TEMP TABLE vt AS
      SELECT g.id AS release_id, 'U0DEV' || (g.k % 50) AS author, 'U0DEV' || (g.k % 50) AS editor, 'The canary caught it before most customers did' AS went_well,
        CASE WHEN g.state = 'completed' THEN 'Nothing much' ELSE 'Wave ' || (g.f + 1) || ' failed its health check' END AS went_badly,
        'Test the migration against a copy of production data' AS lessons, '["Add a smoke test"]'::jsonb AS actions, false AS raise_in_jira,
        ${epoch('g.fin + 172800')} AS created_at, ${epoch('g.fin + 172800')} AS updated_at
      FROM g
      WHERE g.state IN ('completed', 'rolled_back', 'failed')
        AND ${u(50)} < CASE WHEN g.state IN ('rolled_back', 'failed') OR g.type = 'emergency' THEN 0.75 ELSE 0.01 END`,
    },
    {
      // Services with a GitHub repository (models 0 and 1) record the commits a release ships, mostly with the first one's time.
      table: 'generate incidents, ratings, reviews, commits',
      sql: `
      CREATE TEMP TABLE ct AS
      SELECT g.id AS release_id, 'v' || ((g.k - 1) / 1000) || '.' || ((g.k - 1) % 1000) || '.0' AS base, md5(g.k::text) AS head, 1 + floor(40 * ${u(60)})::int AS commits,
        CASE WHEN ${u(61)} < 0.95 THEN ${epoch(`g.created - 86400 * (1 + 13 * ${u(62)})`)} END AS first_commit_at, ${epoch('g.s')} AS recorded_at
      FROM g WHERE g.state IN ('completed', 'rolled_back', 'failed') AND g.m IN (0, 1)`,
    },
  ];
}

// Every column of reviews but its generated search vector.
const REVIEW_COLUMNS = 'release_id, author, editor, went_well, went_badly, lessons, actions, raise_in_jira, created_at, updated_at';

/** The inserts, parents first. `countsInInsert`: write the trigger-kept counts with each release (the triggers are off). */
function insertsSql(countsInInsert: boolean): { table: string; sql: string }[] {
  const epoch = (c: string) => ts(c);
  const counts = countsInInsert
    ? `coalesce(ic.n, 0), coalesce(rc.total, 0), coalesce(rc.n, 0), ct.first_commit_at, vt.release_id IS NOT NULL`
    : `0, 0, 0, NULL, false`;
  return [
    {
      table: 'releases',
      sql: `
      INSERT INTO releases (id, service, version, type, title, description, risk, planned_start, deployment_model, rollback_plan, test_evidence,
        training_needed, requester, state, revision, reschedule_count, card_channel, card_ts, created_at, updated_at, submitted_at, approved_at,
        rollout_direction, rollout_note, bypassed_freeze, started_at, finished_at, jira_key, impact, contact, assessed_risk,
        revised_after_submit, revised_after_approval, rejections, failed_at, manual_minutes, incident_count, rating_total, rating_count, first_commit_at, reviewed)
      SELECT g.id, g.service, (g.k / 1000) || '.' || (g.k % 1000) || '.0', g.type, 'Change ' || g.k || ' to ' || g.service,
        'What changes and why, as the requester wrote it.', g.risk, ${epoch('g.p')}, ${pick('g.m', BENCH_MODELS.map((x) => x.name))},
        'Redeploy the previous version', CASE WHEN g.no_evidence THEN '' ELSE 'CI run ' || g.k || ' green; smoke tests passed' END,
        false, 'U0DEV' || (g.k % 50), g.state, 1 + g.after_submit + g.rejections, g.resched, 'C0REL' || (g.svc % 20), (g.p)::text,
        ${epoch('g.created')}, ${epoch('coalesce(g.fin, g.submitted)')}, CASE WHEN g.state = 'cancelled' AND g.k % 2 = 0 THEN NULL ELSE ${epoch('g.submitted')} END,
        CASE WHEN g.state IN ('cancelled', 'rejected') THEN NULL ELSE ${epoch('g.approved')} END,
        CASE WHEN g.state = 'rolled_back' THEN 'rollback' ELSE 'forward' END,
        CASE g.state WHEN 'failed' THEN 'Aborted by <@U0OPS1>: wave failed' END, g.emergency_bypass,
        CASE WHEN g.state IN ('cancelled', 'rejected') THEN NULL ELSE ${epoch('g.s')} END, ${epoch('g.fin')},
        'CHG-' || g.k, 'Customers may see a short pause in ' || g.service, NULL, g.risk,
        g.after_submit, g.after_approval, g.rejections,
        coalesce(fx.first_failed, fx.first_rollback), fx.manual_minutes, ${counts}
      FROM g
      LEFT JOIN fx ON fx.release_id = g.id
      LEFT JOIN (SELECT release_id, count(*)::int AS n FROM it GROUP BY release_id) ic ON ic.release_id = g.id
      LEFT JOIN (SELECT release_id, sum(score)::int AS total, count(*)::int AS n FROM rt GROUP BY release_id) rc ON rc.release_id = g.id
      LEFT JOIN ct ON ct.release_id = g.id
      LEFT JOIN vt ON vt.release_id = g.id
      ORDER BY g.k`,
    },
    {
      table: 'rollout_steps',
      sql: `
      INSERT INTO rollout_steps (id, release_id, kind, wave_index, wave_name, try, targets, deployer, checklist, state, idempotency_key,
        due_at, started_at, finished_at, bake_until, error, reported_by, created_at)
      SELECT st.id, st.release_id, st.kind, st.wave, st.wave_name, st.try, st.targets, st.deployer, st.checklist, st.state,
        'rel-' || st.release_id || '-' || st.kind || '-w' || st.wave || '-t' || st.try,
        ${epoch('st.started')}, ${epoch('st.started')}, ${epoch('st.finished')}, NULL,
        CASE WHEN st.state = 'failed' THEN 'health check failed' END, 'U0OPS1', ${epoch('st.started')}
      FROM st ORDER BY st.id`,
    },
    { table: 'checklist_ticks', sql: `INSERT INTO checklist_ticks (step_id, item, actor, at) SELECT step_id, item, actor, ${epoch('at')} FROM tk ORDER BY step_id, item` },
    { table: 'incidents', sql: `INSERT INTO incidents (release_id, ref, source, recorded_by, recorded_at, resolved_at) SELECT * FROM it ORDER BY release_id, ref` },
    { table: 'ratings', sql: `INSERT INTO ratings (release_id, rater, score, rated_at, comment, commented_at) SELECT * FROM rt ORDER BY release_id, rater` },
    { table: 'reviews', sql: `INSERT INTO reviews (${REVIEW_COLUMNS}) SELECT ${REVIEW_COLUMNS} FROM vt ORDER BY release_id` },
    { table: 'release_commits', sql: `INSERT INTO release_commits (release_id, base, head, commits, first_commit_at, recorded_at) SELECT * FROM ct ORDER BY release_id` },
    {
      table: 'unauthorised_versions',
      sql: `
      INSERT INTO unauthorised_versions (service, version, kind, detail, source_ref, detected_at)
      SELECT g.service, 'hotfix-' || g.k, 'deployed_without_release', 'seen on ' || g.service || '-eu-1 with no release', 'bench-' || g.k, ${epoch('g.p')}
      FROM g WHERE g.k % 2000 = 0`,
    },
  ];
}

export interface LoadTimings {
  rows: Record<string, number>;
  ms: Record<string, number>;
  /** Whether foreign keys were checked row by row during the load (false: checked after, by checkForeignKeys). */
  rowChecks: boolean;
}

/** Generates releases [from, to) of the history with their steps, ticks, incidents, ratings, reviews and commits. */
export async function loadHistory(client: pg.Client, shape: HistoryShape, from: number, to: number, options: { rebuildIndexes?: boolean } = {}): Promise<LoadTimings> {
  const rows: Record<string, number> = {};
  const ms: Record<string, number> = {};
  let rowChecks = true;
  const timed = async (name: string, text: string) => {
    const began = performance.now();
    const result = await client.query(text);
    ms[name] = (ms[name] ?? 0) + performance.now() - began;
    if (result.rowCount) rows[name] = (rows[name] ?? 0) + result.rowCount;
  };
  await client.query('BEGIN');
  try {
    // JIT compiling these one-off statements costs more than it saves.
    await client.query('SET LOCAL jit = off');
    // A superuser loads without the row-by-row foreign key checks (PostgreSQL's advice for bulk loads);
    // checkForeignKeys then proves every reference set-based. The data is generated consistent.
    const superuser = (await client.query<{ su: boolean }>('SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user')).rows[0]?.su === true;
    if (superuser) await client.query('SET LOCAL session_replication_role = replica');
    rowChecks = !superuser;
    await client.query('DROP TABLE IF EXISTS g, st, tk, fx, it, rt, ct, vt');
    await timed('generate releases', releasesSql(shape, from, to));
    for (const text of stepsSql()) await timed('generate steps', text);
    await timed('generate ticks', ticksSql());
    await timed('facts', factsSql());
    for (const child of childrenSql()) await timed(child.table, child.sql);
    // Into large tables, indexes are built after the rows rather than grown row by row (PostgreSQL's
    // bulk-load advice again): the same definitions, as relm's migrations made them, dropped and made
    // again; those behind a constraint (primary keys, unique constraints) are kept.
    const rebuilt = options.rebuildIndexes
      ? (
          await client.query<{ name: string; def: string }>(`
            SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
            WHERE i.indrelid IN ('releases'::regclass, 'rollout_steps'::regclass, 'checklist_ticks'::regclass)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`)
        ).rows
      : [];
    for (const index of rebuilt) await client.query(`DROP INDEX ${index.name}`);
    for (const insert of insertsSql(!rowChecks)) await timed(insert.table, insert.sql);
    if (rebuilt.length) await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    for (const index of rebuilt) await timed(`${rebuilt.length} indexes rebuilt`, index.def);
    await client.query('DROP TABLE g, st, tk, fx, it, rt, ct, vt');
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  // Sequences past the explicit ids, as if relm had written them.
  await client.query(`SELECT setval('releases_id_seq', (SELECT max(id) FROM releases)), setval('rollout_steps_id_seq', (SELECT max(id) FROM rollout_steps))`);
  return { rows, ms, rowChecks };
}

/** Every foreign key of the database checked set-based (one anti-join each): how many rows reference nothing. */
export async function checkForeignKeys(client: pg.Client): Promise<{ keys: number; rows: number; orphans: number }> {
  const keys = await client.query<{ child: string; col: string; parent: string; pcol: string }>(`
    SELECT c.conrelid::regclass::text AS child, a.attname AS col, c.confrelid::regclass::text AS parent, pa.attname AS pcol
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
    WHERE c.contype = 'f' AND cardinality(c.conkey) = 1`);
  let rows = 0;
  let orphans = 0;
  for (const k of keys.rows) {
    // As an anti-join (hashed), not a lookup per row.
    const result = await client.query<{ n: string; bad: string }>(
      `SELECT (SELECT count(*) FROM ${k.child} c WHERE c.${k.col} IS NOT NULL) AS n,
         (SELECT count(*) FROM ${k.child} c WHERE c.${k.col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${k.parent} p WHERE p.${k.pcol} = c.${k.col})) AS bad`,
    );
    rows += Number(result.rows[0]!.n);
    orphans += Number(result.rows[0]!.bad);
  }
  return { keys: keys.rows.length, rows, orphans };
}

export interface FactsCheck {
  checked: number;
  /** Releases whose failed_at or manual_minutes the real trigger computes otherwise. */
  mismatched: number;
  withFailure: number;
  withManual: number;
  /** The trigger's UPDATE that sets finished_at, per release. */
  msPerRelease: number;
  /** Releases whose counts the real triggers do not take back to zero and forward to the same again. */
  countsMismatched: number;
  withCounts: number;
}

/**
 * Fires the real triggers on a sample of ended releases inside a transaction that is rolled back:
 * releases_kpi_facts by clearing finished_at and setting it back (it recomputes failed_at and
 * manual_minutes from the steps and ticks); the count triggers by deleting the sample's incidents,
 * ratings, commits and reviews (every count must come back to zero) and inserting them again (and back to
 * what the load wrote). Returns how many disagree with the generated facts, and the trigger's cost.
 */
export async function checkFactsAgainstTrigger(client: pg.Client, sample: number): Promise<FactsCheck> {
  await client.query('BEGIN');
  try {
    await client.query(`
      CREATE TEMP TABLE sample ON COMMIT DROP AS
      SELECT id, finished_at, failed_at, manual_minutes, incident_count, rating_total, rating_count, first_commit_at, reviewed FROM releases
      WHERE finished_at IS NOT NULL AND (hashint8extended(id::bigint, 77) & 1023) < 1024 * ${sample} / greatest(1, (SELECT count(*) FROM releases WHERE finished_at IS NOT NULL))::float8 * 2
      ORDER BY hashint8extended(id::bigint, 78) LIMIT ${sample}`);
    await client.query(`UPDATE releases r SET finished_at = NULL FROM sample s WHERE r.id = s.id`);
    // The timed UPDATE is the one a release's last transition makes: finished_at set, facts recomputed.
    const began = performance.now();
    await client.query(`UPDATE releases r SET finished_at = s.finished_at FROM sample s WHERE r.id = s.id`);
    const elapsed = performance.now() - began;
    const facts = await client.query<{ checked: number; mismatched: number; with_failure: number; with_manual: number }>(`
      SELECT count(*)::int AS checked,
        count(*) FILTER (WHERE r.failed_at IS DISTINCT FROM s.failed_at OR abs(coalesce(r.manual_minutes, -1) - coalesce(s.manual_minutes, -1)) > 1e-6)::int AS mismatched,
        count(*) FILTER (WHERE r.failed_at IS NOT NULL)::int AS with_failure,
        count(*) FILTER (WHERE r.manual_minutes IS NOT NULL)::int AS with_manual
      FROM sample s JOIN releases r ON r.id = s.id`);
    const children: [string, string][] = [['incidents', '*'], ['ratings', '*'], ['release_commits', '*'], ['reviews', REVIEW_COLUMNS]];
    for (const [table, columns] of children) {
      await client.query(`CREATE TEMP TABLE saved_${table} ON COMMIT DROP AS SELECT ${columns === '*' ? 't.*' : columns} FROM ${table} t JOIN sample s ON s.id = t.release_id`);
      await client.query(`DELETE FROM ${table} t USING sample s WHERE s.id = t.release_id`);
    }
    const zero = await client.query<{ n: number }>(`
      SELECT count(*)::int AS n FROM releases r JOIN sample s ON s.id = r.id
      WHERE r.incident_count <> 0 OR r.rating_total <> 0 OR r.rating_count <> 0 OR r.first_commit_at IS NOT NULL OR r.reviewed`);
    for (const [table, columns] of children) await client.query(`INSERT INTO ${table} ${columns === '*' ? '' : `(${columns})`} SELECT * FROM saved_${table}`);
    const counts = await client.query<{ n: number; with_counts: number }>(`
      SELECT count(*) FILTER (WHERE (r.incident_count, r.rating_total, r.rating_count, r.reviewed) IS DISTINCT FROM (s.incident_count, s.rating_total, s.rating_count, s.reviewed)
        OR r.first_commit_at IS DISTINCT FROM s.first_commit_at)::int AS n,
        count(*) FILTER (WHERE s.incident_count > 0 OR s.rating_count > 0 OR s.first_commit_at IS NOT NULL OR s.reviewed)::int AS with_counts
      FROM sample s JOIN releases r ON r.id = s.id`);
    const row = facts.rows[0]!;
    return {
      checked: row.checked,
      mismatched: row.mismatched,
      withFailure: row.with_failure,
      withManual: row.with_manual,
      msPerRelease: elapsed / Math.max(1, row.checked),
      countsMismatched: zero.rows[0]!.n + counts.rows[0]!.n,
      withCounts: counts.rows[0]!.with_counts,
    };
  } finally {
    await client.query('ROLLBACK');
  }
}
