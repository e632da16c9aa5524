import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { planValues } from '../support/slack-views.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ store: 'pglite' });
  h.slack.users.set('U0NYC', { tz: 'America/New_York' });
});

afterAll(async () => {
  await h?.stop();
});

describe('planning details', () => {
  it('reads a typed time in the typing user\'s own Slack timezone', async () => {
    const res = await h.command('U0NYC', 'new payments 1.0.0 --at "2026-12-01 10:00"');
    expect(res.reply!.text).toContain('Planned *REL-1*');
    const row = await h.relm.db.selectFrom('releases').select('planned_start').where('id', '=', 1).executeTakeFirstOrThrow();
    expect(row.planned_start!.toISOString()).toBe('2026-12-01T15:00:00.000Z');
    expect(h.slack.callsTo('users.info').some((c) => c.args.user === 'U0NYC')).toBe(true);
  });

  it('offers the next free slot in the planning modal and takes a waves override, refusing unknown targets', async () => {
    const opened = await h.command('U0DEV', 'new');
    const blocks = JSON.stringify(opened.view.blocks);
    expect(blocks).toMatch(/Next free slot: <!date\^\d+\^/);
    const values = { ...planValues({ service: 'payments', version: '2.0.0', model: 'two-waves', rollback: 'redeploy', evidence: 'ci' }), waves: { value: { type: 'plain_text_input', value: 'first=eu-1,us-1@10s; second=mars-1' } } };
    const bad = await h.submitView('U0DEV', opened.view, values);
    expect(bad.body).toEqual({ response_action: 'errors', errors: { waves: expect.stringContaining('Unknown target "mars-1"') } });
    const good = await h.submitView('U0DEV', opened.view, { ...values, waves: { value: { type: 'plain_text_input', value: 'first=eu-1,us-1@10s; second=eu-2' } } });
    expect(good.body).toBeUndefined();
    const row = await h.relm.db.selectFrom('releases').select('waves').where('version', '=', '2.0.0').executeTakeFirstOrThrow();
    expect(row.waves).toEqual([
      { name: 'first', targets: ['eu-1', 'us-1'], bakeMs: 10_000 },
      { name: 'second', targets: ['eu-2'], bakeMs: 0 },
    ]);
  });

  it('counts a moved planned start as a reschedule without voiding approvals', async () => {
    await h.command('U0DEV', 'schedule REL-2 "2026-12-02 11:00"');
    const moved = await h.command('U0DEV', 'schedule REL-2 "2026-12-03 11:00"');
    expect(moved.reply!.text).toContain('now starts');
    const row = await h.relm.db.selectFrom('releases').select(['reschedule_count', 'revision']).where('id', '=', 2).executeTakeFirstOrThrow();
    expect(row.reschedule_count).toBe(1);
    expect(row.revision).toBe(1);
  });
});
