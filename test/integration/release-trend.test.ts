import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, migrateToLatest, type Database } from '../../src/store/database.ts';
import { insertRelease } from '../../src/store/repositories/releases.ts';
import { insertIncident } from '../../src/store/repositories/incidents.ts';
import { weeklyOutcomes } from '../../src/store/repositories/release-trend.ts';
import { digestRange } from '../../src/core/digest.ts';
import { createTestDatabase } from '../support/postgres.ts';

// Fixed dates: the query's subject is where weeks begin in a timezone, not today.
function releaseRow(version: string, state: string, ended: string, service = 'payments') {
  const at = new Date(ended);
  return { service, version, type: 'minor', title: `v${version}`, description: '', risk: 'low', planned_start: null, deployment_model: 'two-waves', rollback_plan: 'r', test_evidence: 'ci', training_needed: false, requester: 'U0DEV', state, card_channel: null, card_ts: null, created_at: at, updated_at: at, submitted_at: null, approved_at: null, finished_at: state === 'cancelled' ? null : at };
}

describe.each(['postgres', 'pglite'] as const)('the weekly outcome trend on %s', (kind) => {
  let db: Database;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (kind === 'postgres') {
      const database = await createTestDatabase();
      drop = database.drop;
      db = createDatabase({ url: database.url, dataDir: '' });
    } else {
      db = createDatabase({ dataDir: '', memory: true });
    }
    await migrateToLatest(db);
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

  it('a quarter is the three calendar months before the firing, in the digest’s timezone', () => {
    const { from, to } = digestRange({ periodMs: null, tz: 'Europe/London' }, new Date('2027-01-01T09:00:00Z'));
    expect([from.toISOString(), to.toISOString()]).toEqual(['2026-10-01T08:00:00.000Z', '2027-01-01T09:00:00.000Z']);
    expect(digestRange({ periodMs: 7 * 86_400_000, tz: 'UTC' }, to).from.toISOString()).toBe('2026-12-25T09:00:00.000Z');
  });
});
