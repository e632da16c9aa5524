import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/store.ts';
import { sql } from 'kysely';
import type { Database } from '../../src/store/database.ts';
import { insertRelease } from '../../src/store/repositories/releases.ts';
import { findReview, reviewChasesDue, reviewCounts, saveReview, searchLessons, setReviewChases } from '../../src/store/repositories/reviews.ts';

const day = (n: number) => new Date(Date.UTC(2026, 10, 1 + n, 12));

function releaseRow(version: string, state: string, finished: Date | null, options: { service?: string; type?: string } = {}) {
  return {
    service: options.service ?? 'payments',
    version,
    type: options.type ?? 'minor',
    title: `Payments ${version}`,
    description: '',
    risk: 'low',
    planned_start: null,
    deployment_model: 'two-waves',
    rollback_plan: 'redeploy',
    test_evidence: 'ci',
    training_needed: false,
    requester: 'U0DEV',
    state,
    card_channel: 'C0PAY',
    card_ts: null,
    created_at: day(0),
    updated_at: day(0),
    submitted_at: day(0),
    approved_at: day(0),
    finished_at: finished,
  };
}

describe.each(['postgres', 'pglite'] as const)('post-release reviews in the store on %s', (kind) => {
  let db: Database;
  let drop: (() => Promise<void>) | undefined;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    ({ db, drop } = await openTestStore(kind));
    // Day 1..5 finishes; 'search' is another service.
    ids.failed = (await insertRelease(db, releaseRow('1.0.0', 'failed', day(1)))).id;
    ids.rolledBack = (await insertRelease(db, releaseRow('1.1.0', 'rolled_back', day(2)))).id;
    ids.completed = (await insertRelease(db, releaseRow('1.2.0', 'completed', day(3)))).id;
    ids.emergency = (await insertRelease(db, releaseRow('1.3.0', 'completed', day(4), { type: 'emergency' }))).id;
    ids.other = (await insertRelease(db, releaseRow('2.0.0', 'rolled_back', day(5), { service: 'search' }))).id;
    ids.live = (await insertRelease(db, releaseRow('1.4.0', 'in_progress', null))).id;
    await db.transaction().execute(async (trx) => {
      await saveReview(trx, ids.failed!, 'U0DEV', { wentWell: 'The canary caught it early.', wentBadly: 'The schema migration locked the orders table for minutes.', lessons: 'Database migrations must run online, in batches, with lock timeouts.', actions: ['Add lock_timeout to every migration'], raiseInJira: false }, day(6));
      await saveReview(trx, ids.completed!, 'U0RM', { wentWell: 'Feature flags let us switch the new checkout on per country.', wentBadly: '', lessons: 'Flagging helps; keep flags short-lived.', actions: [], raiseInJira: false }, day(6));
      await saveReview(trx, ids.other!, 'U0DEV', { wentWell: '', wentBadly: 'Index rebuild was slow.', lessons: 'Rebuilding indexes needs a maintenance window; <!channel> & friends were told late.', actions: [], raiseInJira: false }, day(6));
    });
  });

  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  it('keeps one review per release; a second save changes it and counts the edit', async () => {
    const before = await findReview(db, ids.completed!);
    expect(before).toMatchObject({ author: 'U0RM', editor: 'U0RM', edits: 0 });
    const { review, before: previous } = await db.transaction().execute((trx) => saveReview(trx, ids.completed!, 'U0DEV', { ...before!, lessons: 'Flagging helps; keep flags short-lived and remove them after a week.' }, day(7)));
    expect(previous?.lessons).toBe('Flagging helps; keep flags short-lived.');
    expect(review).toMatchObject({ author: 'U0RM', editor: 'U0DEV', edits: 1, lessons: 'Flagging helps; keep flags short-lived and remove them after a week.' });
    expect(review.updatedAt.toISOString()).toBe(day(7).toISOString());
    const count = await db.selectFrom('reviews').select((eb) => eb.fn.countAll<string>().as('n')).where('release_id', '=', ids.completed!).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('finds lessons by stemmed words, best match first, with the matches marked', async () => {
    // "migrating databases" stems to migrat + databas: it matches "Database migrations" in the lessons.
    const found = await searchLessons(db, 'migrating databases');
    expect(found.map((m) => m.releaseId)).toEqual([ids.failed]);
    expect(found[0]!.headline).toContain('\u0001Database\u0002');
    expect(found[0]!.headline).toContain('\u0001migrations\u0002');
    expect(found[0]!).toMatchObject({ service: 'payments', version: '1.0.0', state: 'failed' });
    // "flag" finds "Feature flags" and "Flagging"; "index" finds "Index" and "indexes" in another service.
    expect((await searchLessons(db, 'flag')).map((m) => m.releaseId)).toEqual([ids.completed]);
    expect((await searchLessons(db, 'indexing')).map((m) => m.releaseId)).toEqual([ids.other]);
    expect(await searchLessons(db, 'indexing', { services: ['payments'] })).toEqual([]);
    // Web-search syntax: or, and a word left out.
    expect((await searchLessons(db, 'migration or index')).map((m) => m.releaseId).sort()).toEqual([ids.failed, ids.other].sort());
    expect(await searchLessons(db, 'migration -lock')).toEqual([]);
    expect(await searchLessons(db, 'kubernetes')).toEqual([]);
    // A lesson matching in its lessons outranks one matching only in what went wrong.
    await db.transaction().execute((trx) => saveReview(trx, ids.emergency!, 'U0RM', { wentWell: '', wentBadly: 'A migration ran twice.', lessons: 'Hotfixes skip the queue.', actions: [], raiseInJira: false }, day(8)));
    expect((await searchLessons(db, 'migration')).map((m) => m.releaseId)).toEqual([ids.failed, ids.emergency]);
  });

  it('searches with the GIN index on the generated search column', async () => {
    const index = await sql<{ indexdef: string }>`SELECT indexdef FROM pg_indexes WHERE tablename = 'reviews' AND indexname = 'reviews_search'`.execute(db);
    expect(index.rows[0]?.indexdef).toContain('USING gin (search)');
  });

  it('counts reviews done and due among the releases finished in the period, by each service’s rules', async () => {
    // Reviewed: failed (day 1), completed (day 3), emergency (day 4), other (day 5). Unreviewed and required: rolled back (day 2).
    expect(await reviewCounts(db, { from: day(0), to: day(10) })).toEqual({ done: 4, due: 1 });
    expect(await reviewCounts(db, { from: day(0), to: day(10), services: ['payments'] })).toEqual({ done: 3, due: 1 });
    expect(await reviewCounts(db, { from: day(2), to: day(3) })).toEqual({ done: 0, due: 1 });
    // The period is [from, to): the release finished at day(2) is outside [day(0), day(2)).
    expect(await reviewCounts(db, { from: day(0), to: day(2) })).toEqual({ done: 1, due: 0 });
    // A policy that requires no review of rollbacks: nothing is due; one that requires all counts completed ones too.
    expect(await reviewCounts(db, { from: day(0), to: day(10), rules: [{ service: 'payments', requireReview: ['failed'] }] })).toEqual({ done: 4, due: 0 });
    const unreviewedCompleted = (await insertRelease(db, releaseRow('1.5.0', 'completed', day(9)))).id;
    expect(await reviewCounts(db, { from: day(0), to: day(10) })).toEqual({ done: 4, due: 1 });
    expect(await reviewCounts(db, { from: day(0), to: day(10), rules: [{ service: 'payments', requireReview: ['all'] }] })).toEqual({ done: 4, due: 2 });
    // A rollout that ends (its finish time set, by any path) puts an unreviewed release up for the
    // reminder sweep from its finish on; a reviewed one is not.
    const finish = (id: number, at: Date) => db.updateTable('releases').set({ finished_at: at }).where('id', '=', id).execute();
    const anHourAfter = (d: Date) => new Date(d.getTime() + 3_600_000);
    await finish(unreviewedCompleted, anHourAfter(day(9)));
    await finish(ids.rolledBack!, anHourAfter(day(2)));
    await finish(ids.failed!, anHourAfter(day(1)));
    const chaseDue = async (now: Date, limit?: number) => (await reviewChasesDue(db, now, limit)).map((r) => r.id);
    expect(await chaseDue(day(9))).toEqual([ids.rolledBack]);
    expect(await chaseDue(day(10))).toEqual([ids.rolledBack, unreviewedCompleted]);
    expect(await chaseDue(day(10), 1)).toEqual([ids.rolledBack]);
    // The sweep moves each on to its next look, or clears it.
    const [rolledBack, completed] = await reviewChasesDue(db, day(10));
    await setReviewChases(db, [{ releaseId: ids.rolledBack!, seen: rolledBack!.reviewChaseAt, at: day(20) }, { releaseId: unreviewedCompleted, seen: completed!.reviewChaseAt, at: null }]);
    expect(await chaseDue(day(19))).toEqual([]);
    expect(await chaseDue(day(20))).toEqual([ids.rolledBack]);
    // A rollout that ended again after the sweep read the release keeps the time it set.
    const endedAgain = new Date(day(2).getTime() + 2 * 3_600_000);
    await finish(ids.rolledBack!, endedAgain);
    await setReviewChases(db, [{ releaseId: ids.rolledBack!, seen: day(20), at: null }]);
    expect(await chaseDue(day(3))).toEqual([ids.rolledBack]);
    await setReviewChases(db, [{ releaseId: ids.rolledBack!, seen: endedAgain, at: null }]);
    expect(await chaseDue(day(100))).toEqual([]);
    // Each service by its own rule, and the default for a service without one.
    await insertRelease(db, releaseRow('2.1.0', 'failed', day(8), { service: 'search' }));
    const due = async (rules: { service: string; requireReview: ('failed' | 'rolled_back' | 'completed' | 'emergency' | 'all')[] }[]) => (await reviewCounts(db, { from: day(0), to: day(10), rules })).due;
    expect(await due([])).toBe(2); // payments' rollback and search's failure
    expect(await due([{ service: 'payments', requireReview: ['completed'] }, { service: 'search', requireReview: ['rolled_back'] }])).toBe(1); // payments' 1.5.0 only
    expect(await due([{ service: 'payments', requireReview: ['completed'] }])).toBe(2); // search by the default: its failure
    expect(await due([{ service: 'payments', requireReview: ['emergency'] }, { service: 'search', requireReview: ['emergency'] }])).toBe(0);
    expect(await due([{ service: 'payments', requireReview: [] }, { service: 'search', requireReview: ['all'] }])).toBe(1);
  });
});
