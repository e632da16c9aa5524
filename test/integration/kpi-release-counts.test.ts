import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/store.ts';
import { sql } from 'kysely';
import { createDatabase, migrateToLatest, migrator, type Database } from '../../src/store/database.ts';
import { insertRelease } from '../../src/store/repositories/releases.ts';
import { insertIncident, removeIncident } from '../../src/store/repositories/incidents.ts';
import { upsertRating } from '../../src/store/repositories/ratings.ts';
import { reviewCounts, saveReview } from '../../src/store/repositories/reviews.ts';
import { kpiAggregates, recordReleaseCommits } from '../../src/store/repositories/kpi.ts';
import { createTestDatabase } from '../support/postgres.ts';

const at = (iso: string) => new Date(iso);

function row(version: string, finished: Date, state = 'completed') {
  const started = new Date(finished.getTime() - 3_600_000);
  return {
    service: 'payments', version, type: 'minor', title: version, description: '', risk: 'low', planned_start: started,
    deployment_model: 'two-waves', rollback_plan: 'redeploy', test_evidence: 'ci', training_needed: false, requester: 'U0DEV', state,
    card_channel: null, card_ts: null, created_at: new Date(started.getTime() - 86_400_000), updated_at: finished,
    submitted_at: new Date(started.getTime() - 43_200_000), approved_at: new Date(started.getTime() - 7_200_000), started_at: started, finished_at: finished,
  };
}

describe.each(['postgres', 'pglite'] as const)('KPI counts kept on the release on %s', (kind) => {
  let db: Database;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ db, drop } = await openTestStore(kind));
  }, 60_000);

  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  const counts = (id: number) =>
    db.selectFrom('releases').select(['incident_count', 'rating_total', 'rating_count', 'first_commit_at', 'reviewed']).where('id', '=', id).executeTakeFirstOrThrow();

  it('follows every incident, rating, commit and review record, including a changed rating and a removed incident', async () => {
    const release = await insertRelease(db, row('1.0.0', at('2026-11-10T12:00:00Z')));
    expect(await counts(release.id)).toEqual({ incident_count: 0, rating_total: 0, rating_count: 0, first_commit_at: null, reviewed: false });

    await insertIncident(db, release.id, { ref: 'INC-1', source: 'slack', recordedBy: 'U0OPS', recordedAt: at('2026-11-10T13:00:00Z') });
    await insertIncident(db, release.id, { ref: 'INC-2', source: 'jira', recordedBy: 'U0OPS', recordedAt: at('2026-11-10T14:00:00Z') });
    // Recorded twice: the second is refused and counts nothing.
    await insertIncident(db, release.id, { ref: 'INC-1', source: 'slack', recordedBy: 'U0OPS', recordedAt: at('2026-11-10T15:00:00Z') });
    await removeIncident(db, release.id, 'INC-2', 'jira');
    // Resolving an incident does not touch the count.
    await db.updateTable('incidents').set({ resolved_at: at('2026-11-10T16:00:00Z') }).where('release_id', '=', release.id).execute();

    await upsertRating(db, { releaseId: release.id, rater: 'U0A', score: 2 }, at('2026-11-13T09:00:00Z'));
    await upsertRating(db, { releaseId: release.id, rater: 'U0B', score: 5 }, at('2026-11-13T09:00:00Z'));
    // U0A changes their mind: 2 comes off the total, 4 goes on.
    await upsertRating(db, { releaseId: release.id, rater: 'U0A', score: 4 }, at('2026-11-13T10:00:00Z'));

    await recordReleaseCommits(db, release.id, { base: 'v0.9.0', head: 'v1.0.0', count: 3, firstCommitAt: at('2026-11-01T08:00:00Z') }, at('2026-11-10T11:00:00Z'));
    // Written, then edited: reviewed from the first save on.
    const text = { wentWell: 'canary', wentBadly: '', lessons: 'smoke test first', actions: [], raiseInJira: false };
    await db.transaction().execute((trx) => saveReview(trx, release.id, 'U0DEV', text, at('2026-11-12T09:00:00Z')));
    await db.transaction().execute((trx) => saveReview(trx, release.id, 'U0DEV', { ...text, lessons: 'smoke test before the canary' }, at('2026-11-12T10:00:00Z')));
    expect(await counts(release.id)).toEqual({ incident_count: 1, rating_total: 9, rating_count: 2, first_commit_at: at('2026-11-01T08:00:00Z'), reviewed: true });
    expect(await reviewCounts(db, { from: at('2026-11-10T00:00:00Z'), to: at('2026-11-11T00:00:00Z'), rules: [] })).toEqual({ done: 1, due: 0 });

    await db.deleteFrom('ratings').where('release_id', '=', release.id).where('rater', '=', 'U0B').execute();
    await db.deleteFrom('release_commits').where('release_id', '=', release.id).execute();
    await db.deleteFrom('reviews').where('release_id', '=', release.id).execute();
    expect(await counts(release.id)).toEqual({ incident_count: 1, rating_total: 4, rating_count: 1, first_commit_at: null, reviewed: false });
  });

  it('gives the mean of the ratings themselves and counts deployment days in local days across a DST change', async () => {
    // Europe/London: BST until 25 Oct 2026 01:00 UTC. 23:30 UTC on 24 Oct is 00:30 on the 25th locally;
    // 23:30 UTC on the 25th is 23:30 on the 25th (GMT); 00:30 UTC on the 27th is the 27th.
    const a = await insertRelease(db, row('2.0.0', at('2026-10-24T23:30:00Z')));
    const b = await insertRelease(db, row('2.1.0', at('2026-10-25T23:30:00Z')));
    await insertRelease(db, row('2.2.0', at('2026-10-27T00:30:00Z')));
    await insertRelease(db, row('2.3.0', at('2026-10-26T10:00:00Z'), 'failed'));
    for (const [id, rater, score] of [[a.id, 'U0A', 1], [a.id, 'U0B', 2], [b.id, 'U0A', 5]] as const) await upsertRating(db, { releaseId: id, rater, score }, at('2026-10-28T09:00:00Z'));
    const expected = await sql<{ mean: number }>`SELECT avg(score)::float8 AS mean FROM ratings WHERE release_id IN (${a.id}, ${b.id})`.execute(db);

    const filter = { current: { from: at('2026-10-24T12:00:00Z'), to: at('2026-10-28T00:00:00Z') }, previous: { from: at('2026-10-21T00:00:00Z'), to: at('2026-10-24T12:00:00Z') }, services: ['payments'], zone: 'Europe/London', toleranceMs: 900_000 };
    const { current } = await kpiAggregates(db, filter);
    expect(current.releases).toBe(4);
    expect(current.ratingResponses).toBe(3);
    expect(current.ratingMean).toBeCloseTo(expected.rows[0]!.mean, 12);
    // Both the 25th (once, though two completed on it), the 27th; not the 26th, whose release failed.
    expect(current.deployDays).toEqual(['2026-10-25', '2026-10-27']);
    // In UTC the same releases fall on the 24th, the 25th and the 27th.
    expect((await kpiAggregates(db, { ...filter, zone: 'UTC' })).current.deployDays).toEqual(['2026-10-24', '2026-10-25', '2026-10-27']);

    // Inside a caller's transaction the same figures, and the caller's settings are its own again after.
    const inside = await db.transaction().execute(async (trx) => {
      await sql`SET LOCAL work_mem = '8MB'`.execute(trx);
      const { current: again } = await kpiAggregates(trx, filter);
      const settings = await sql<{ jit: string; work_mem: string }>`SELECT current_setting('jit') AS jit, current_setting('work_mem') AS work_mem`.execute(trx);
      return { again, settings: settings.rows[0] };
    });
    const outside = await sql<{ jit: string }>`SELECT current_setting('jit') AS jit`.execute(db);
    expect(inside.again).toEqual(current);
    expect(inside.settings).toEqual({ jit: outside.rows[0]!.jit, work_mem: '8MB' });
  });

  it('backfills the counts of a history recorded before the migration', async () => {
    const old = kind === 'postgres' ? await createTestDatabase() : undefined;
    const before = old ? createDatabase({ url: old.url, dataDir: '' }) : createDatabase({ dataDir: '', memory: true });
    try {
      const result = await migrator(before).migrateTo('2026-12-02T13-00-kpi-facts');
      expect(result.error).toBeUndefined();
      // Written as relm wrote them then, before the columns and triggers existed.
      const { id } = await before.insertInto('releases').values(row('3.0.0', at('2026-11-05T12:00:00Z'))).returning('id').executeTakeFirstOrThrow();
      await before.insertInto('incidents').values([1, 2].map((n) => ({ release_id: id, ref: `INC-${n}`, source: 'slack' as const, recorded_by: 'U0OPS', recorded_at: at('2026-11-05T13:00:00Z') }))).execute();
      await before.insertInto('ratings').values([['U0A', 3], ['U0B', 4]].map(([rater, score]) => ({ release_id: id, rater: rater as string, score: score as number, rated_at: at('2026-11-08T09:00:00Z') }))).execute();
      await before.insertInto('release_commits').values({ release_id: id, base: 'v2', head: 'v3', commits: 2, first_commit_at: at('2026-11-01T08:00:00Z'), recorded_at: at('2026-11-05T11:00:00Z') }).execute();
      await before.insertInto('reviews').values({ release_id: id, author: 'U0DEV', editor: 'U0DEV', went_well: '', went_badly: '', lessons: '', actions: '[]', raise_in_jira: false, created_at: at('2026-11-07T09:00:00Z'), updated_at: at('2026-11-07T09:00:00Z') }).execute();
      await migrateToLatest(before);
      const counts = await before.selectFrom('releases').select(['incident_count', 'rating_total', 'rating_count', 'first_commit_at', 'reviewed']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(counts).toEqual({ incident_count: 2, rating_total: 7, rating_count: 2, first_commit_at: at('2026-11-01T08:00:00Z'), reviewed: true });
    } finally {
      await before.destroy();
      await old?.drop();
    }
  }, 60_000);
});
