import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/store.ts';
import type { Database } from '../../src/store/database.ts';
import { insertRelease } from '../../src/store/repositories/releases.ts';
import { insertIncident } from '../../src/store/repositories/incidents.ts';
import { weeklyOutcomes } from '../../src/store/repositories/release-trend.ts';
import { digestPreviousPeriod, digestRange, type DigestSettings } from '../../src/core/digest.ts';
import { digestContent } from '../../src/core/usecases/digest.ts';
import { kpiReport, resolveKpiQuery } from '../../src/core/usecases/kpi.ts';
import { figure } from '../../src/core/kpi/definitions.ts';
import { digestPeriodText, renderDigest } from '../../src/bot/blocks/digest.ts';
import { loadRelmFile } from '../../src/config/relm-file.ts';
import { FIXTURE_CONFIG } from '../support/harness.ts';

// Fixed dates: the query's subject is where weeks begin in a timezone, not today.
function releaseRow(version: string, state: string, ended: string, service = 'payments') {
  const at = new Date(ended);
  return { service, version, type: 'minor', title: `v${version}`, description: '', risk: 'low', planned_start: null, deployment_model: 'two-waves', rollback_plan: 'r', test_evidence: 'ci', training_needed: false, requester: 'U0DEV', state, card_channel: null, card_ts: null, created_at: at, updated_at: at, submitted_at: null, approved_at: null, finished_at: state === 'cancelled' ? null : at };
}

describe.each(['postgres', 'pglite'] as const)('the weekly outcome trend on %s', (kind) => {
  let db: Database;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ db, drop } = await openTestStore(kind));
    // Sunday 6 Dec 2026 23:30 UTC is already Monday 7 Dec in Tokyo (a new week there, not in London).
    await insertRelease(db, releaseRow('1.0.0', 'completed', '2026-12-06T23:30:00Z'));
    const withIncident = await insertRelease(db, releaseRow('1.1.0', 'completed', '2026-12-01T10:00:00Z'));
    await insertIncident(db, withIncident.id, { ref: 'INC-9', source: 'slack', recordedBy: 'U0DEV', recordedAt: new Date('2026-12-02T10:00:00Z') });
    await insertRelease(db, releaseRow('1.2.0', 'rolled_back', '2026-12-02T10:00:00Z'));
    await insertRelease(db, releaseRow('1.3.0', 'cancelled', '2026-12-03T10:00:00Z'));
    await insertRelease(db, releaseRow('1.4.0', 'in_progress', '2026-12-03T11:00:00Z'));
    await insertRelease(db, releaseRow('2.0.0', 'failed', '2026-12-08T10:00:00Z', 'search'));
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  // A weekly digest that fires on Monday 14 December at 09:00 in London.
  const firing = new Date('2026-12-14T09:00:00Z');

  it('counts each week back from the firing by outcome, with empty weeks, deployments and change failures', async () => {
    const weeks = await weeklyOutcomes(db, { to: firing, weeks: 3, timezone: 'Europe/London', services: null });
    // Monday 09:00 to Monday 09:00: the last bar is the digest's own seven days, not a sliver of a new week.
    expect(weeks.map((w) => w.week)).toEqual(['2026-11-23', '2026-11-30', '2026-12-07']);
    expect(weeks[0]).toMatchObject({ counts: { completed: 0, failed: 0, rolled_back: 0, cancelled: 0, rejected: 0 }, deployed: 0, changeFailures: 0 });
    // 1.1.0 with an incident, 1.2.0 rolled back, 1.3.0 cancelled (not deployed), and 1.0.0 on Sunday night; 1.4.0 has not ended.
    expect(weeks[1]).toMatchObject({ counts: { completed: 2, rolled_back: 1, cancelled: 1, failed: 0 }, deployed: 3, changeFailures: 2 });
    expect(weeks[2]).toMatchObject({ counts: { failed: 1 }, deployed: 1, changeFailures: 1 });
    // A release on Monday 7 December at 08:59 belongs to the week before the one that starts at 09:00.
    const edge = await insertRelease(db, releaseRow('1.5.0', 'completed', '2026-12-07T08:59:00Z'));
    try {
      const again = await weeklyOutcomes(db, { to: firing, weeks: 3, timezone: 'Europe/London', services: null });
      expect(again[1]!.counts.completed).toBe(3);
      expect(again[2]!.counts.completed).toBe(0);
    } finally {
      await db.deleteFrom('releases').where('id', '=', edge.id).execute();
    }
  });

  it('names each week by its first day in the digest’s timezone, across a change of summer time, and keeps to its services', async () => {
    // A digest at Monday midnight in Tokyo (15:00 UTC the day before): 1.0.0, Sunday 6 December 23:30
    // UTC, is Monday morning there, in the second week; in London it was the first.
    const tokyo = await weeklyOutcomes(db, { to: new Date('2026-12-13T15:00:00Z'), weeks: 2, timezone: 'Asia/Tokyo', services: ['payments'] });
    expect(tokyo.map((w) => w.week)).toEqual(['2026-11-30', '2026-12-07']);
    expect(tokyo[0]!.counts).toMatchObject({ completed: 1, rolled_back: 1, cancelled: 1 });
    expect(tokyo[1]!.counts).toMatchObject({ completed: 1, failed: 0 });
    // London leaves summer time on 25 October 2026: twelve weeks of 168 hours back from 14 December
    // 09:00 GMT begin on 21 September at 10:00 BST, and every week on a Monday.
    const twelve = await weeklyOutcomes(db, { to: firing, weeks: 12, timezone: 'Europe/London', services: null });
    expect(twelve).toHaveLength(12);
    expect(twelve[0]!.week).toBe('2026-09-21');
    expect(twelve.map((w) => new Date(`${w.week}T12:00:00Z`).getUTCDay())).toEqual(Array(12).fill(1));
  });

  it('a digest names the period’s releases by the KPI’s definition, and charts twelve weeks', async () => {
    const digest = { id: 'digest-test', channel: 'C0DIG', cron: '0 9 * * 1', tz: 'Europe/London', period: '7d', periodMs: 7 * 86_400_000, services: null, team: null } satisfies DigestSettings;
    const ctx = { db, settings: (await loadRelmFile(FIXTURE_CONFIG)).settings };
    const { from, to } = digestRange(digest, new Date('2026-12-07T09:00:00Z'));
    const content = await digestContent(ctx, digest, from, to);
    // 30 November 09:00 to 7 December 09:00: 1.1.0, 1.2.0 and 1.0.0 ended; 1.3.0 was cancelled.
    expect(content).toMatchObject({ ended: 3, closed: 1, outcomes: { completed: 2, rolled_back: 1, cancelled: 1, failed: 0, rejected: 0 } });
    expect(content.report && figure(content.report, 'releases').value).toBe(3);
    expect(content.trend).toHaveLength(12);
    expect(content.trend.at(-1)!.counts).toMatchObject({ completed: 2, rolled_back: 1, cancelled: 1 });
    // One count of releases ended in the message, the KPI's, and the cancelled one beside it.
    const message = renderDigest(content);
    expect(message.text).toContain('3 releases ended: 2 completed · 1 rolled back; 1 cancelled without a rollout.');
    expect(JSON.stringify(message.blocks)).toContain('3 releases ended (');
  });

  it('a quarter is the last complete calendar quarter before the firing, in the digest’s timezone', () => {
    const london = { periodMs: null, tz: 'Europe/London' };
    const iso = (r: { from: Date; to: Date }) => [r.from.toISOString(), r.to.toISOString()];
    // Fired on 1 January at 09:00: October to December (1 October starts at 00:00 BST, 23:00 UTC the day before).
    expect(iso(digestRange(london, new Date('2027-01-01T09:00:00Z')))).toEqual(['2026-09-30T23:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    // Fired mid-December: the quarter before, not the one still running.
    expect(iso(digestRange(london, new Date('2026-12-15T09:00:00Z')))).toEqual(['2026-06-30T23:00:00.000Z', '2026-09-30T23:00:00.000Z']);
    // Fired at the very first moment of April (00:00 BST): January to March is complete.
    expect(iso(digestRange(london, new Date('2027-03-31T23:00:00Z')))).toEqual(['2027-01-01T00:00:00.000Z', '2027-03-31T23:00:00.000Z']);
    // In Tokyo the quarter turned nine hours earlier.
    expect(iso(digestRange({ periodMs: null, tz: 'Asia/Tokyo' }, new Date('2026-12-31T16:00:00Z')))).toEqual(['2026-09-30T15:00:00.000Z', '2026-12-31T15:00:00.000Z']);
    // Compared with the whole quarter before (92 days of July to September, not the 92 days before October).
    expect(digestPreviousPeriod(london, new Date('2026-09-30T23:00:00Z'))).toEqual({ from: new Date('2026-06-30T23:00:00Z'), to: new Date('2026-09-30T23:00:00Z') });
    expect(digestRange({ periodMs: 7 * 86_400_000, tz: 'UTC' }, new Date('2027-01-01T09:00:00Z')).from.toISOString()).toBe('2026-12-25T09:00:00.000Z');
  });

  it('a quarter digest reports the same calendar quarter, by the same figures, as `/release kpi quarter` at its end', async () => {
    const settings = loadRelmFile(FIXTURE_CONFIG).settings;
    const digest: DigestSettings = { id: 'digest-q', channel: 'C0PAY', cron: '0 9 1 1,4,7,10 *', tz: 'Europe/London', period: 'quarter', periodMs: null, services: null, team: null };
    const { from, to } = digestRange(digest, new Date('2027-01-01T09:00:00Z'));
    const content = await digestContent({ db, settings }, digest, from, to);
    expect(content.report!.period).toEqual({ from: new Date('2026-09-30T23:00:00Z'), to: new Date('2027-01-01T00:00:00Z') });
    expect(content.report!.previousPeriod).toEqual({ from: new Date('2026-06-30T23:00:00Z'), to: new Date('2026-09-30T23:00:00Z') });
    expect(digestPeriodText(content)).toBe('Q4 2026 (1 Oct – 31 Dec 2026, Europe/London)');
    // The command an hour before the year ends: Q4 so far, which starts where the digest's quarter does.
    const query = resolveKpiQuery(settings, 'quarter', new Date('2026-12-31T23:00:00Z'));
    expect(query.from).toEqual(content.report!.period.from);
    expect(query.label).toBe('Q4 2026 so far, all services');
    const command = await kpiReport({ db, settings }, query);
    // 1.0.0, 1.1.0, 1.2.0 and search's 2.0.0 ended in the quarter (not the cancelled one, nor the one rolling out).
    expect(figure(content.report!, 'releases').value).toBe(4);
    for (const key of ['releases', 'backed_out', 'failed', 'change_failure_rate', 'incidents'] as const) expect(figure(command, key).value, key).toEqual(figure(content.report!, key).value);
  });
});
