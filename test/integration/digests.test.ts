import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelm, type Relm } from '../../src/app.ts';
import { loadRelmFile } from '../../src/config/relm-file.ts';
import { createLogger } from '../../src/log.ts';
import { fireDigest, digestKey } from '../../src/core/usecases/digest.ts';
import { TREND_CHART_SIZE } from '../../src/bot/charts/release-trend.ts';
import { FIXTURE_CONFIG, startHarness, waitFor, type Harness } from '../support/harness.ts';
import { clockFrom } from '../support/clock.ts';

const DAY = 86_400_000;

/** The test fixture with these digests (and a team) added. */
function configWith(digests: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'relm-digests-'));
  const file = join(dir, 'relm.yml');
  writeFileSync(file, `${readFileSync(FIXTURE_CONFIG, 'utf8')}\nteams:\n  money: [payments, billing]\ndigests:\n${digests}`);
  return file;
}

/** A PNG's signature and its IHDR chunk's width and height. */
function pngSize(bytes: Buffer): { signature: boolean; width: number; height: number } {
  const signature = bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { signature, width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('digests: each entry a Job Scheduler firing at its cron time in its timezone', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      store: 'postgres',
      config: configWith('  - { channel: C0PAY, cron: "0 9 * * MON", tz: America/New_York, team: money }\n  - { channel: C0PAY, cron: "30 8 1 * *", tz: Asia/Tokyo, period: quarter }\n'),
    });
  });
  afterAll(async () => h?.stop());

  it('schedules the next firing at the cron time read in the entry’s own timezone', async () => {
    const [weekly, monthly] = h.relm.ctx.settings.digests;
    const schedulers = await h.relm.digests!.queue.getJobSchedulers(0, -1);
    expect(schedulers.map((s) => s.key).sort()).toEqual([weekly!.id, monthly!.id].sort());
    const next = async (id: string) => (await h.relm.digests!.queue.getJobScheduler(id))!.next!;
    // Worked out independently of cron-parser: the next Monday 09:00 in New York, the next 1st at 08:30 in Tokyo.
    const now = DateTime.now();
    const ny = now.setZone('America/New_York');
    let monday = ny.set({ hour: 9, minute: 0, second: 0, millisecond: 0 }).plus({ days: (8 - ny.weekday) % 7 });
    if (monday <= ny) monday = monday.plus({ weeks: 1 });
    const tokyo = now.setZone('Asia/Tokyo');
    let first = tokyo.startOf('month').set({ hour: 8, minute: 30 });
    if (first <= tokyo) first = first.plus({ months: 1 });
    expect(new Date(await next(weekly!.id)).toISOString()).toBe(monday.toUTC().toISO());
    expect(new Date(await next(monthly!.id)).toISOString()).toBe(first.toUTC().toISO());
    const local = DateTime.fromMillis(await next(weekly!.id), { zone: 'America/New_York' });
    expect([local.weekday, local.hour, local.minute]).toEqual([1, 9, 0]);
  });

  it('is idempotent on boot from another replica, and removes the scheduler of an entry taken out', async () => {
    const env = { ...h.env, RELM_CONFIG: configWith('  - { channel: C0PAY, cron: "0 9 * * MON", tz: America/New_York, team: money }\n') };
    const worker = await createRelm({ env, settings: loadRelmFile(env.RELM_CONFIG).settings, role: 'worker', log: createLogger('silent') });
    try {
      const schedulers = await h.relm.digests!.queue.getJobSchedulers(0, -1);
      // The same entry is the same scheduler; the one no longer in this replica's relm.yml is gone.
      expect(schedulers.map((s) => s.key)).toEqual([h.relm.ctx.settings.digests[0]!.id]);
      expect(await h.relm.digests!.queue.count()).toBe(1);
    } finally {
      await worker.stop();
    }
  });
});

describe('a digest that fires: the figures and the chart, once however many workers run', () => {
  let h: Harness;
  let second: Relm;
  // relm's clock is a day in 2027 (the host's date does not matter); the digests' period ends at each firing.
  const clock = clockFrom('2027-03-03T10:00:00Z');
  beforeAll(async () => {
    h = await startHarness({
      store: 'postgres',
      clock,
      config: configWith('  - { channel: C0PAY, cron: "*/2 * * * * *", tz: Europe/Paris, period: 14d, team: money }\n  - { channel: C0SEARCH, cron: "*/2 * * * * *", period: 7d, services: [search] }\n'),
    });
    second = await createRelm({ env: h.env, settings: h.relm.ctx.settings, role: 'worker', log: createLogger('silent'), clock, relayAfterMs: 1_000, relayEveryMs: 500 });
    const now = clock().getTime();
    const release = (service: string, state: string, daysAgo: number) => ({
      service, version: `1.${daysAgo}.0`, type: 'minor', title: 't', description: '', risk: 'low', planned_start: null, deployment_model: 'two-waves', rollback_plan: 'r', test_evidence: 'e', training_needed: false, requester: 'U0DEV', state, card_channel: null, card_ts: null,
      created_at: new Date(now - (daysAgo + 2) * DAY), updated_at: new Date(now - daysAgo * DAY), submitted_at: null, approved_at: null, started_at: new Date(now - daysAgo * DAY - 3_600_000), finished_at: new Date(now - daysAgo * DAY),
    });
    const rows = await h.relm.db
      .insertInto('releases')
      .values([release('payments', 'completed', 1), release('payments', 'completed', 3), release('billing', 'rolled_back', 9), release('payments', 'failed', 10), release('billing', 'completed', 12), release('payments', 'completed', 20), release('search', 'completed', 9)])
      .returning('id')
      .execute();
    await h.relm.db.insertInto('incidents').values({ release_id: rows[1]!.id, ref: 'INC-1', source: 'slack', recorded_by: 'U0DEV', recorded_at: new Date(now - 2 * DAY) }).execute();
  });
  afterAll(async () => {
    await second?.stop();
    await h?.stop();
  });

  it('posts each firing once, with the KPIs and a valid PNG chart of the stated size', async () => {
    await waitFor(() => h.slack.sharedFiles('C0PAY').length >= 2 && h.slack.channelMessages('C0SEARCH').length >= 2, 'two firings of each digest', 20_000);
    await h.relm.digests!.sync([]);
    // A firing already taken by a worker still writes its post: wait for the queue to empty, then the outbox.
    const queue = h.relm.digests!.queue;
    await waitFor(async () => Object.values(await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized')).every((n) => n === 0), 'the digest queue to empty');
    await h.settle();
    const digestRows = await h.relm.db.selectFrom('outbox').select(['dedupe_key', 'state']).where('kind', '=', 'digest').execute();
    const [money] = h.relm.ctx.settings.digests;
    const moneyRows = digestRows.filter((r) => r.dedupe_key.startsWith(`digest:${money!.id}:`));
    const posts = h.slack.channelMessages('C0PAY').filter((m) => m.metadata?.event_payload.key?.toString().startsWith('digest:'));
    // One message and one chart per firing, with two workers taking the scheduler's jobs.
    expect(posts.map((m) => m.metadata!.event_payload.key).sort()).toEqual(moneyRows.map((r) => r.dedupe_key).sort());
    expect(new Set(posts.map((m) => m.metadata!.event_payload.key)).size).toBe(posts.length);
    // A firing before the history below was inserted (relm's schedulers run from its start) found no
    // releases and says so, without a chart; every other firing has exactly one chart.
    const charted = posts.filter((m) => !m.text.includes('No releases ended in this period'));
    expect(charted.length).toBeGreaterThanOrEqual(2);
    expect(h.slack.sharedFiles('C0PAY').map((f) => f.filename).sort()).toEqual(charted.map((m) => `${String(m.metadata!.event_payload.key).replace(/^digest:/, '').replace(/[^A-Za-z0-9]+/g, '-')}.png`).sort());
    expect(digestRows.every((r) => r.state === 'done')).toBe(true);
    // Each firing on the cron's every-second-second.
    for (const row of moneyRows) expect(new Date(row.dedupe_key.split(':').slice(2).join(':')).getUTCSeconds() % 2).toBe(0);

    const message = charted[0]!;
    // 14 days of team money: payments and billing, not search; the release 20 days ago is outside.
    expect(message.text).toContain('team money');
    expect(message.text).toContain('5 releases ended: 3 completed · 1 failed · 1 rolled back');
    expect(JSON.stringify(message.blocks)).toContain('*5* releases ended');
    // The KPIs of the period, by the same definitions as /release kpi: backed out 1 of 5, failed 1 of 5.
    const rendered = JSON.stringify(message.blocks);
    expect(rendered).toContain('*ITIL release management*');
    expect(rendered).toContain('*DORA*');
    expect(rendered).toMatch(/Backed out \(rolled back\)\*\\n20(\.0)?%/);
    expect(rendered).toMatch(/\*Failed\*\\n20(\.0)?%/);

    const file = h.slack.sharedFiles('C0PAY')[0]!;
    expect(file.filename).toMatch(/^digest-[0-9a-f]{16}-\d{4}-.*\.png$/);
    // The chart is a trend: twelve weeks back from the firing, so the release 20 days ago is on it too.
    expect(file.altText).toContain('over the last 12 weeks (4 completed, 1 failed, 1 rolled back)');
    const png = pngSize(file.bytes!);
    expect(png).toEqual({ signature: true, width: TREND_CHART_SIZE.width, height: TREND_CHART_SIZE.height });
    expect(h.slack.callsTo('files.getUploadURLExternal').length).toBe(h.slack.callsTo('files.completeUploadExternal').length);
  });

  it('a firing taken again (a retried job, another worker) writes no second post', async () => {
    const [money] = h.relm.ctx.settings.digests;
    const key = (await h.relm.db.selectFrom('outbox').select('dedupe_key').where('kind', '=', 'digest').where('dedupe_key', 'like', `digest:${money!.id}:%`).orderBy('id').executeTakeFirstOrThrow()).dedupe_key;
    const occurrence = new Date(key.split(':').slice(2).join(':'));
    expect(digestKey(money!.id, occurrence)).toBe(key);
    expect(await fireDigest(second.ctx, money!.id, occurrence, clock())).toBe('already');
    expect(await fireDigest(h.relm.ctx, 'digest-0000', occurrence, clock())).toBe('unknown');
  });

  it('a chart upload that failed after the message went out is finished on the retry, without a second message', async () => {
    const [money] = h.relm.ctx.settings.digests;
    h.slack.inject('files.completeUploadExternal', { slackError: 'internal_error' });
    // A firing of its own (the schedulers are gone by now), as a job would hand it over.
    const occurrence = new Date(Math.floor(Date.now() / 1_000) * 1_000 + 1_000);
    const key = digestKey(money!.id, occurrence);
    expect(await fireDigest(h.relm.ctx, money!.id, occurrence, clock())).toBe('queued');
    await h.settle();
    const name = `${key.replace(/^digest:/, '').replace(/[^A-Za-z0-9]+/g, '-')}.png`;
    expect(h.slack.channelMessages('C0PAY').filter((m) => m.metadata?.event_payload.key === key)).toHaveLength(1);
    expect(h.slack.sharedFiles('C0PAY').filter((f) => f.filename === name)).toHaveLength(1);
    // The first upload was begun and never completed; the retry's is the one shared.
    expect([...h.slack.files.values()].filter((f) => f.filename === name).map((f) => f.completed)).toEqual([false, true]);
  });

  it('says so when no release ended in the period, with no chart', async () => {
    const search = h.slack.channelMessages('C0SEARCH');
    expect(search.length).toBeGreaterThanOrEqual(2);
    // The one search release ended 9 days ago, before this digest's 7 days.
    expect(search[0]!.text).toContain('No releases ended in this period');
    expect(h.slack.sharedFiles('C0SEARCH')).toEqual([]);
  });
});
