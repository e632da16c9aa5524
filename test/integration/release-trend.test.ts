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
import { digestPeriodText } from '../../src/bot/blocks/digest.ts';
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

  const range = { from: new Date('2026-11-23T00:00:00Z'), to: new Date('2026-12-14T00:00:00Z') };

  it('counts each local week by outcome, with empty weeks, deployments and change failures', async () => {
    const weeks = await weeklyOutcomes(db, { ...range, timezone: 'Europe/London', services: null });
    expect(weeks.map((w) => w.week)).toEqual(['2026-11-23', '2026-11-30', '2026-12-07']);
    expect(weeks[0]).toMatchObject({ counts: { completed: 0, failed: 0, rolled_back: 0, cancelled: 0, rejected: 0 }, deployed: 0, changeFailures: 0 });
    // 1.0.0 on Sunday night London time, 1.1.0 with an incident, 1.2.0 rolled back, 1.3.0 cancelled (not deployed); 1.4.0 has not ended.
    expect(weeks[1]).toMatchObject({ counts: { completed: 2, rolled_back: 1, cancelled: 1, failed: 0 }, deployed: 3, changeFailures: 2 });
    expect(weeks[2]).toMatchObject({ counts: { failed: 1 }, deployed: 1, changeFailures: 1 });
  });

  it('starts weeks on Monday in the digest’s timezone, and keeps to its services', async () => {
    const tokyo = await weeklyOutcomes(db, { ...range, timezone: 'Asia/Tokyo', services: ['payments'] });
    expect(tokyo.find((w) => w.week === '2026-11-30')!.counts.completed).toBe(1);
    expect(tokyo.find((w) => w.week === '2026-12-07')!.counts).toMatchObject({ completed: 1, failed: 0 });
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
