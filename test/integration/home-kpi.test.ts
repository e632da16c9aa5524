import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../support/harness.ts';
import { startHomeHarness } from '../support/home-harness.ts';
import { clockFrom } from '../support/clock.ts';

const H = 3_600_000;
const DAY = 24 * H;

describe.each(['postgres', 'pglite'] as const)('App Home’s KPI line, on %s', (store) => {
  let h: Harness;
  let now: number;

  beforeAll(async () => {
    h = await startHomeHarness({ store, clock: clockFrom('2026-11-24T09:00:00Z'), homeRefreshMs: 200 });
    now = h.relm.ctx.clock().getTime();
  });

  afterAll(async () => {
    await h?.stop();
  });

  /** A release that ended `daysAgo`, planned `planned` hours before, started as planned unless it was rescheduled. */
  async function ended(service: string, version: string, state: string, daysAgo: number, o: { planned?: number; reschedules?: number } = {}) {
    const finished = new Date(now - daysAgo * DAY);
    const started = new Date(finished.getTime() - H);
    await h.relm.db
      .insertInto('releases')
      .values({
        service, version, type: 'minor', title: version, description: '', risk: 'low', planned_start: started, deployment_model: 'one-wave', rollback_plan: 'r', test_evidence: 'ci',
        training_needed: false, requester: 'U0DEV', state, card_channel: null, card_ts: null, created_at: new Date(finished.getTime() - (o.planned ?? 24) * H), updated_at: finished,
        submitted_at: started, approved_at: started, started_at: started, finished_at: finished, reschedule_count: o.reschedules ?? 0,
      })
      .execute();
  }

  const kpiLine = async (user: string) => {
    const view = await h.openHome(user);
    const block = (view.blocks as any[]).find((b) => b.type === 'context' && b.elements[0].text.startsWith('*Last 30 days*'));
    return block?.elements[0].text as string | undefined;
  };

  it('shows everyone the last 30 days of every service in one line, by the KPI definitions', async () => {
    expect(await kpiLine('U0CUST1')).toBe('*Last 30 days* (all services): Releases ended 0 · Completed as planned and on schedule – · Change failure rate – · Deployment frequency 0.00/day · Lead time for changes – · `/release kpi` for every figure');

    // In the last 30 days: payments 1.0.0 on schedule (planned 24 h before it ended), search 2.0.0
    // rescheduled (planned 72 h before), payments 1.1.0 rolled back; payments 0.9.0 ended 31 days ago.
    await ended('payments', '1.0.0', 'completed', 2);
    await ended('search', '2.0.0', 'completed', 5, { planned: 72, reschedules: 1 });
    await ended('payments', '1.1.0', 'rolled_back', 1);
    await ended('payments', '0.9.0', 'completed', 31);
    // Worked out: 3 ended; on schedule 1 of 3 = 33.3%; change failures 1 of 3 = 33.3%; 2 completed in
    // 30 days = 0.07/day; lead time the median of 24 h and 72 h = 48 h = 2.0 d.
    const expected = '*Last 30 days* (all services): Releases ended 3 · Completed as planned and on schedule 33.3% · Change failure rate 33.3% · Deployment frequency 0.07/day · Lead time for changes 2.0 d · `/release kpi` for every figure';
    // A later refresh window: the line is computed again, not the one from before these releases.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await kpiLine('U0CUST1')).toBe(expected);
    // The same for someone who follows no service: the line is about every service.
    expect(await kpiLine('U0NOBODY')).toBe(expected);
  });
});
