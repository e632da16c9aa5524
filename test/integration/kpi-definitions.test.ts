import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/store.ts';
import type { Database } from '../../src/store/database.ts';
import { insertRelease } from '../../src/store/repositories/releases.ts';
import { loadRelmFile } from '../../src/config/relm-file.ts';
import { KPI_KEYS, figure, type Direction, type KpiKey } from '../../src/core/kpi/definitions.ts';
import { kpiReport, kpiRows } from '../../src/core/usecases/kpi.ts';
import type { StepState } from '../../src/core/rollout.ts';
import { FIXTURE_CONFIG } from '../support/harness.ts';

// Every KPI on one hand-built history, with each expected value worked out below, so a definition that
// is off by one (a rescheduled release counted on schedule, an emergency counted twice, a release on a
// period boundary counted in the wrong period) fails. Fixed dates: the subject is the definitions.
//
// The period is [1 Nov 2026 00:00Z, 11 Nov 00:00Z), ten days; the previous one [22 Oct, 1 Nov).
// Times of a release are given backwards from when its rollout finished (F), in hours:
//   D = start → finish, A = approved → start, S = submitted → approved, P = created (planned) → submitted,
// and the start's offset from the planned start in minutes (the on-schedule tolerance is 15).
//
// Ended in the period (service payments), seven:
//   E1 completed, F = 1 Nov 00:00 exactly (the period's start is included); P1 S24 A10 D1, on time;
//      a manual step ticked by two people, last tick 30 min after its start (60 person-min); reviewed;
//      rated 5 and 4.
//   E2 completed 3 Nov; P2 S2 A20 D2, started 15 min late (the tolerance itself: on schedule); re-planned
//      once while submitted, before approval (needing revision, still on schedule); first commit 100 h
//      before F (from GitHub's compare).
//   E3 completed 4 Nov; P3 S8 A30 D4, on time but rescheduled once (not on schedule); an incident
//      resolved 6 h after it was recorded; a manual step ticked once by one person 15 min after its
//      start (15 person-min), and a github step with a tick (not counted).
//   E4 completed 5 Nov; P4 S4 A40 D8, started 16 min late (delayed); re-planned after approval
//      (needing revision); test evidence blank ("  "); a manual step nobody ticked; rated 2.
//   E5 emergency, rolled back 6 Nov; P0.5 S0.25 A0 D3, no test evidence; two incidents, one resolved
//      2 h after it was recorded, one unresolved; its first wave failed 1 h before the rollback
//      completed (restore 1 h); reviewed; rated 1.
//   E6 failed (aborted) 7 Nov; P10 S48 A50 D0.5; rejected once before; a review is due (failed).
//   E7 completed 9 Nov; P5 S6 A60 D16, started 20 min early (not on schedule, not delayed); re-planned
//      while still a draft (not a revision).
// Not counted: X1 (an emergency rolled back at exactly 11 Nov 00:00, the period's end, excluded), a
// cancelled release, one still rolling out, X0 completed 21 Oct 23:00 (before the previous period),
// and S1 of search (only in the all-services report).
// Previous period: P1 completed 28 Oct, P2S10A5D2 on time, rated 4; P2 completed 30 Oct, P4S20A15D4,
// on time but rescheduled once.

const H = 3_600_000;
const MIN = 60_000;
const FROM = new Date('2026-11-01T00:00:00Z');
const TO = new Date('2026-11-11T00:00:00Z');

interface Spec {
  version: string;
  finish: string;
  P: number;
  S: number;
  A: number;
  D: number;
  offsetMin?: number;
  type?: string;
  evidence?: string;
  reschedules?: number;
  service?: string;
  /** The state it is inserted in, before any change the trigger counts. */
  initial?: string;
}

function times(spec: Spec) {
  const finished = new Date(spec.finish);
  const started = new Date(finished.getTime() - spec.D * H);
  const planned = new Date(started.getTime() - (spec.offsetMin ?? 0) * MIN);
  const approved = new Date(started.getTime() - spec.A * H);
  const submitted = new Date(approved.getTime() - spec.S * H);
  const created = new Date(submitted.getTime() - spec.P * H);
  return { finished, started, planned, approved, submitted, created };
}

function row(spec: Spec, state: string, withFinish: boolean) {
  const t = times(spec);
  return {
    service: spec.service ?? 'payments', version: spec.version, type: spec.type ?? 'minor', title: spec.version, description: '', risk: 'low', planned_start: t.planned,
    deployment_model: 'two-waves', rollback_plan: 'redeploy', test_evidence: spec.evidence ?? 'ci', training_needed: false, requester: 'U0DEV', state,
    card_channel: null, card_ts: null, created_at: t.created, updated_at: t.created, submitted_at: t.submitted, approved_at: t.approved,
    started_at: t.started, finished_at: withFinish ? t.finished : null, reschedule_count: spec.reschedules ?? 0,
  };
}

const E1: Spec = { version: '2.1.0', finish: '2026-11-01T00:00:00Z', P: 1, S: 24, A: 10, D: 1 };
const E2: Spec = { version: '2.2.0', finish: '2026-11-03T12:00:00Z', P: 2, S: 2, A: 20, D: 2, offsetMin: 15, initial: 'submitted' };
const E3: Spec = { version: '2.3.0', finish: '2026-11-04T12:00:00Z', P: 3, S: 8, A: 30, D: 4, reschedules: 1 };
const E4: Spec = { version: '2.4.0', finish: '2026-11-05T12:00:00Z', P: 4, S: 4, A: 40, D: 8, offsetMin: 16, evidence: '  ', initial: 'approved' };
const E5: Spec = { version: '2.5.0', finish: '2026-11-06T12:00:00Z', P: 0.5, S: 0.25, A: 0, D: 3, type: 'emergency', evidence: '' };
const E6: Spec = { version: '2.6.0', finish: '2026-11-07T12:00:00Z', P: 10, S: 48, A: 50, D: 0.5, initial: 'submitted' };
const E7: Spec = { version: '2.7.0', finish: '2026-11-09T12:00:00Z', P: 5, S: 6, A: 60, D: 16, offsetMin: -20, initial: 'draft' };
const P1: Spec = { version: '1.8.0', finish: '2026-10-28T12:00:00Z', P: 2, S: 10, A: 5, D: 2 };
const P2: Spec = { version: '1.9.0', finish: '2026-10-30T12:00:00Z', P: 4, S: 20, A: 15, D: 4, reschedules: 1 };
const X1: Spec = { version: '3.0.0', finish: '2026-11-11T00:00:00Z', P: 1, S: 1, A: 1, D: 1, type: 'emergency', evidence: '' };
const X0: Spec = { version: '1.7.0', finish: '2026-10-21T23:00:00Z', P: 1, S: 1, A: 1, D: 1 };
const S1: Spec = { version: '9.0.0', finish: '2026-11-08T12:00:00Z', P: 1, S: 1, A: 1, D: 1, service: 'search' };

/** value, previous, direction, whether that is better (null: neither way is better, or no change). */
type Expected = [value: number | null, previous: number | null, direction: Direction, improved: boolean | null];
const pct = (n: number, of: number) => (100 * n) / of;

const EXPECTED: Record<KpiKey, Expected> = {
  // E1–E7 against P1, P2; more releases is neither better nor worse.
  releases: [7, 2, 'up', null],
  // E1 (on time), E2 (15 min late is within the tolerance; its revision came before approval). Not E3
  // (rescheduled), E4 (16 min late), E7 (20 min early), E5/E6 (not completed). Before: P1 of 2.
  on_schedule: [pct(2, 7), 50, 'down', false],
  // E3 (rescheduled), E4 (late); not E7 (early). Before: P2 (rescheduled).
  rescheduled_or_delayed: [pct(2, 7), 50, 'down', true],
  // E2 (re-planned while submitted), E4 (after approval), E6 (rejected); not E7 (a draft's edits).
  needing_revision: [pct(3, 7), 0, 'up', false],
  backed_out: [pct(1, 7), 0, 'up', false],
  failed: [pct(1, 7), 0, 'up', false],
  // E5 once, though it has two incidents and was rolled back.
  emergency_share: [pct(1, 7), 0, 'up', false],
  // E4 (blank) and E5 (empty).
  without_test_evidence: [pct(2, 7), 0, 'up', false],
  // E3's one and E5's two.
  incidents: [3, 0, 'up', false],
  incidents_per_release: [3 / 7, 0, 'up', false],
  // Two of payments in the period (not search's, not the one at the period's end); one before.
  unauthorised_versions: [2, 1, 'up', false],
  // (5 + 4 + 2 + 1) / 4 responses = 3; before 4 (one response).
  satisfaction: [3, 4, 'down', false],
  // Sorted 0.5 1 2 3 4 5 10: the median is the 4th; p90 at rank 5.4 is 5 + 0.4 × (10 − 5) = 7.
  // Before: 2 and 4, median 3 (the same), p90 2 + 0.9 × 2 = 3.8.
  plan_to_submit_p50: [3, 3, 'same', null],
  plan_to_submit_p90: [7, 3.8, 'up', false],
  // Sorted 0.25 2 4 6 8 24 48: median 6; p90 24 + 0.4 × 24 = 33.6. Before 10 and 20: 15 and 19.
  submit_to_approved_p50: [6, 15, 'down', true],
  submit_to_approved_p90: [33.6, 19, 'up', false],
  // Sorted 0 10 20 30 40 50 60: median 30; p90 50 + 0.4 × 10 = 54. Before 5 and 15: 10 and 14. Waiting
  // for the planned start is neither better nor worse.
  approved_to_start_p50: [30, 10, 'up', null],
  approved_to_start_p90: [54, 14, 'up', null],
  // Completed only (E1 E2 E3 E4 E7): 1 2 4 8 16, median 4, p90 at rank 3.6: 8 + 0.6 × 8 = 12.8 (with
  // E5's 3 and E6's 0.5 the median would be 3). Before 2 and 4: 3 and 3.8.
  start_to_complete_p50: [4, 3, 'up', false],
  start_to_complete_p90: [12.8, 3.8, 'up', false],
  // E1: (30 − 0) min × 2 people = 60; E3: 15 × 1 = 15; the github step's tick and E4's unticked step add
  // nothing. Before: no manual ticks, 0.
  manual_effort: [75, 0, 'up', false],
  // E1 and E5 reviewed; E6 (failed) has none and needs one (E5 needed one and has it).
  reviews_done: [2, 0, 'up', true],
  reviews_due: [1, 0, 'up', false],
  // Five completed in ten days; before two in ten.
  deployment_frequency: [0.5, 0.2, 'up', true],
  // Completed only, finish − first commit, else finish − created: E1 1+10+24+1 = 36, E2 100 (the
  // commit), E3 4+30+8+3 = 45, E4 8+40+4+4 = 56, E7 16+60+6+5 = 87; median 56 (45 if E2's commit
  // were ignored). Before: 2+5+10+2 = 19 and 4+15+20+4 = 43, median 31.
  lead_time: [56, 31, 'up', false],
  // E3 (with an incident), E5 (rolled back), E6 (failed): three of seven, each once.
  change_failure_rate: [pct(3, 7), 0, 'up', false],
  // Resolved incidents 6 h (E3) and 2 h (E5), and E5's rollback 1 h after its first failure; E5's
  // unresolved incident does not count. Median of 1 2 6 = 2 (4 without the rollback). Before: nothing
  // to restore.
  time_to_restore: [2, null, 'none', null],
};

describe.each(['postgres', 'pglite'] as const)('every KPI on a hand-built history, worked out by hand, on %s', (kind) => {
  let db: Database;
  let drop: (() => Promise<void>) | undefined;
  const settings = loadRelmFile(FIXTURE_CONFIG).settings;
  const ids: Record<string, number> = {};

  /** A release that ends through UPDATEs, as relm's own paths end one, so the facts trigger runs. */
  async function ended(name: string, spec: Spec, state: string, before: (id: number) => Promise<void> = async () => {}): Promise<number> {
    const release = await insertRelease(db, row(spec, spec.initial ?? 'in_progress', false));
    ids[name] = release.id;
    await before(release.id);
    await db.updateTable('releases').set({ state, finished_at: times(spec).finished }).where('id', '=', release.id).execute();
    return release.id;
  }

  let stepKey = 0;
  async function step(releaseId: number, o: { kind?: 'deploy' | 'rollback'; wave?: number; deployer?: string; state: StepState; started?: Date; finished?: Date; created: Date }): Promise<number> {
    const inserted = await db
      .insertInto('rollout_steps')
      .values({
        release_id: releaseId, kind: o.kind ?? 'deploy', wave_index: o.wave ?? 0, wave_name: `wave ${o.wave ?? 0}`, targets: JSON.stringify(['eu-1']), deployer: o.deployer ?? 'manual',
        checklist: JSON.stringify(['a', 'b', 'c']), state: o.state, idempotency_key: `kpi-step-${++stepKey}`, due_at: o.created, started_at: o.started ?? null, finished_at: o.finished ?? null, created_at: o.created,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return inserted.id;
  }

  const tick = (stepId: number, item: number, actor: string, at: Date) => db.insertInto('checklist_ticks').values({ step_id: stepId, item, actor, at }).execute();
  const incident = (releaseId: number, ref: string, recorded: Date, resolved: Date | null) =>
    db.insertInto('incidents').values({ release_id: releaseId, ref, source: 'slack', recorded_by: 'U0OPS', recorded_at: recorded, resolved_at: resolved }).execute();
  const rate = (releaseId: number, rater: string, score: number) => db.insertInto('ratings').values({ release_id: releaseId, rater, score, rated_at: TO }).execute();
  const review = (releaseId: number) => db.insertInto('reviews').values({ release_id: releaseId, author: 'U0DEV', editor: 'U0DEV', went_well: '', went_badly: '', lessons: 'l', actions: JSON.stringify([]), raise_in_jira: false, created_at: TO, updated_at: TO }).execute();
  const unauthorised = (service: string, at: string) =>
    db.insertInto('unauthorised_versions').values({ service, version: '0.0.1', kind: 'unknown_version', detail: 'seen', source_ref: `ref-${service}-${at}`, detected_at: new Date(at) }).execute();

  beforeAll(async () => {
    ({ db, drop } = await openTestStore(kind));

    const e1 = await ended('E1', E1, 'completed', async (id) => {
      const s = times(E1).started;
      const manual = await step(id, { state: 'succeeded', started: s, finished: new Date(s.getTime() + 40 * MIN), created: s });
      await tick(manual, 0, 'U0ONE', new Date(s.getTime() + 10 * MIN));
      await tick(manual, 1, 'U0TWO', new Date(s.getTime() + 30 * MIN));
      await tick(manual, 2, 'U0ONE', new Date(s.getTime() + 20 * MIN));
    });
    await review(e1);
    await rate(e1, 'U0ONE', 5);
    await rate(e1, 'U0TWO', 4);

    const e2 = await ended('E2', E2, 'completed', async (id) => {
      // A plan change while submitted, then on through approval.
      await db.updateTable('releases').set({ revision: 2 }).where('id', '=', id).execute();
      await db.updateTable('releases').set({ state: 'in_progress' }).where('id', '=', id).execute();
    });
    await db.insertInto('release_commits').values({ release_id: e2, base: 'v2.1.0', head: 'v2.2.0', commits: 3, first_commit_at: new Date(times(E2).finished.getTime() - 100 * H), recorded_at: TO }).execute();

    const e3 = await ended('E3', E3, 'completed', async (id) => {
      const s = times(E3).started;
      const manual = await step(id, { state: 'succeeded', started: s, finished: new Date(s.getTime() + H), created: s });
      await tick(manual, 0, 'U0ONE', new Date(s.getTime() + 15 * MIN));
      const github = await step(id, { wave: 1, deployer: 'github', state: 'succeeded', started: s, finished: new Date(s.getTime() + 3 * H), created: s });
      await tick(github, 0, 'U0ONE', new Date(s.getTime() + 100 * MIN));
    });
    const f3 = times(E3).finished.getTime();
    await incident(e3, 'INC-3', new Date(f3 + H), new Date(f3 + 7 * H));

    const e4 = await ended('E4', E4, 'completed', async (id) => {
      // Re-planned after approval: counted after submission and after approval.
      await db.updateTable('releases').set({ revision: 2 }).where('id', '=', id).execute();
      await db.updateTable('releases').set({ state: 'in_progress' }).where('id', '=', id).execute();
      await step(id, { state: 'succeeded', started: times(E4).started, created: times(E4).started });
    });
    await rate(e4, 'U0ONE', 2);

    const f5 = times(E5).finished.getTime();
    const e5 = await ended('E5', E5, 'rolled_back', async (id) => {
      await step(id, { state: 'failed', started: times(E5).started, finished: new Date(f5 - H), created: times(E5).started });
      await step(id, { kind: 'rollback', state: 'succeeded', started: new Date(f5 - 50 * MIN), finished: new Date(f5), created: new Date(f5 - 50 * MIN) });
    });
    await incident(e5, 'INC-5a', new Date(f5 - 2 * H), new Date(f5));
    await incident(e5, 'INC-5b', new Date(f5 - H), null);
    await review(e5);
    await rate(e5, 'U0THREE', 1);

    await ended('E6', E6, 'failed', async (id) => {
      await db.updateTable('releases').set({ state: 'rejected' }).where('id', '=', id).execute();
      await db.updateTable('releases').set({ state: 'in_progress' }).where('id', '=', id).execute();
      await step(id, { state: 'failed', started: times(E6).started, finished: times(E6).finished, created: times(E6).started });
    });

    await ended('E7', E7, 'completed', async (id) => {
      await db.updateTable('releases').set({ revision: 2 }).where('id', '=', id).execute();
      await db.updateTable('releases').set({ state: 'in_progress' }).where('id', '=', id).execute();
    });

    const x1 = await insertRelease(db, row(X1, 'rolled_back', true));
    await incident(x1.id, 'INC-X', new Date('2026-11-10T22:00:00Z'), new Date('2026-11-10T23:00:00Z'));
    await rate(x1.id, 'U0ONE', 1);
    await insertRelease(db, row(X0, 'completed', true));
    await insertRelease(db, { ...row({ ...X0, version: '2.8.0', finish: '2026-11-08T00:00:00Z' }, 'cancelled', true) });
    await insertRelease(db, { ...row({ ...X0, version: '2.9.0', finish: '2026-11-08T00:00:00Z' }, 'in_progress', false) });
    await insertRelease(db, row(S1, 'completed', true));

    const p1 = await insertRelease(db, row(P1, 'completed', true));
    await rate(p1.id, 'U0ONE', 4);
    await insertRelease(db, row(P2, 'completed', true));

    await unauthorised('payments', '2026-11-02T10:00:00Z');
    await unauthorised('payments', '2026-11-10T23:59:00Z');
    await unauthorised('payments', '2026-11-11T00:00:00Z');
    await unauthorised('search', '2026-11-05T10:00:00Z');
    await unauthorised('payments', '2026-10-25T10:00:00Z');
  }, 60_000);

  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  it('keeps the facts the figures read on the release rows (the trigger saw each change)', async () => {
    const facts = await db
      .selectFrom('releases')
      .select(['id', 'revised_after_submit', 'revised_after_approval', 'rejections', 'manual_minutes', 'failed_at'])
      .where('id', 'in', Object.values(ids))
      .execute();
    const of = (name: string) => facts.find((f) => f.id === ids[name])!;
    expect(of('E2')).toMatchObject({ revised_after_submit: 1, revised_after_approval: 0 });
    expect(of('E4')).toMatchObject({ revised_after_submit: 1, revised_after_approval: 1 });
    expect(of('E6')).toMatchObject({ rejections: 1 });
    expect(of('E7')).toMatchObject({ revised_after_submit: 0, revised_after_approval: 0 });
    expect(Number(of('E1').manual_minutes)).toBeCloseTo(60);
    expect(Number(of('E3').manual_minutes)).toBeCloseTo(15);
    expect(of('E4').manual_minutes).toBeNull();
    expect(new Date(of('E5').failed_at!).getTime()).toBe(times(E5).finished.getTime() - H);
  });

  it('gives every KPI its worked-out value, the previous period’s, and the direction of change', async () => {
    const report = await kpiReport({ db, settings }, { from: FROM, to: TO, services: ['payments'], label: 'test' });
    expect(report.previousPeriod).toEqual({ from: new Date('2026-10-22T00:00:00Z'), to: FROM });
    // No KPI goes without a worked-out expectation.
    expect(Object.keys(EXPECTED).sort()).toEqual([...KPI_KEYS].sort());
    for (const key of KPI_KEYS) {
      const [value, previous, direction, improved] = EXPECTED[key];
      const f = figure(report, key);
      if (value === null) expect(f.value, key).toBeNull();
      else expect(f.value, key).toBeCloseTo(value, 6);
      if (previous === null) expect(f.previous, `${key} before`).toBeNull();
      else expect(f.previous, `${key} before`).toBeCloseTo(previous, 6);
      expect({ key, direction: f.direction, improved: f.improved }).toEqual({ key, direction, improved });
    }
    expect(figure(report, 'satisfaction')).toMatchObject({ n: 4, previousN: 1 });
    // fourkeys' band. Now: deploy days 1 Nov (a Sunday, its week's only day in the period), 3, 4, 5 Nov,
    // 9 Nov: per week 1, 3, 1 (median 1, not daily), a deploy every week (weekly). Before: the week of
    // 19 Oct none, of 26 Oct two days: median week 0.5 with a deploy (not weekly), one deploy week in
    // October (monthly).
    expect(report.band).toEqual({ value: 'weekly', previous: 'monthly' });
  });

  it('counts the other services in the all-services report, and nothing at the period’s end', async () => {
    const all = await kpiReport({ db, settings }, { from: FROM, to: TO, services: null, label: 'all' });
    // E1–E7 and search's S1; still not X1 (ended at `to`), the cancelled one or the one rolling out.
    expect(figure(all, 'releases').value).toBe(8);
    expect(figure(all, 'unauthorised_versions').value).toBe(3);
    expect(figure(all, 'deployment_frequency').value).toBeCloseTo(0.6);
    // The next period starts with X1: rolled back, an emergency, its incident restored in 1 h.
    const next = await kpiReport({ db, settings }, { from: TO, to: new Date(TO.getTime() + 10 * 24 * H), services: ['payments'], label: 'next' });
    expect(figure(next, 'releases')).toMatchObject({ value: 1, previous: 7 });
    expect(figure(next, 'emergency_share').value).toBe(100);
    expect(figure(next, 'time_to_restore').value).toBeCloseTo(1);
  });

  it('exports each release with the same flags the figures counted', async () => {
    const rows = await kpiRows({ db, settings }, { from: FROM, to: TO, services: ['payments'], label: 'test' });
    const named = (flag: 'onSchedule' | 'rescheduledOrDelayed' | 'needingRevision' | 'withoutTestEvidence') =>
      rows.filter((r) => r[flag]).map((r) => Object.entries(ids).find(([, id]) => id === r.id)![0]).sort();
    expect(rows).toHaveLength(7);
    expect(named('onSchedule')).toEqual(['E1', 'E2']);
    expect(named('rescheduledOrDelayed')).toEqual(['E3', 'E4']);
    expect(named('needingRevision')).toEqual(['E2', 'E4', 'E6']);
    expect(named('withoutTestEvidence')).toEqual(['E4', 'E5']);
    expect(rows.find((r) => r.id === ids.E2)!.leadTimeHours).toBeCloseTo(100);
    expect(rows.find((r) => r.id === ids.E1)!.leadTimeHours).toBeCloseTo(36);
    expect(rows.find((r) => r.id === ids.E5)!.leadTimeHours).toBeNull();
  });
});
