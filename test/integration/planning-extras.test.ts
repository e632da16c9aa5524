import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { clockFrom } from '../support/clock.ts';
import { planValues } from '../support/slack-views.ts';

let h: Harness;

// A Tuesday at noon in London, so "tomorrow 10:00" and the window checks below mean one thing.
beforeAll(async () => {
  h = await startHarness({ store: 'pglite', clock: clockFrom('2026-11-24T12:00:00Z') });
  h.slack.users.set('U0NYC', { tz: 'America/New_York' });
});

afterAll(async () => {
  await h?.stop();
});

describe('planning details', () => {
  it('reads a typed time in the typing user\'s own Slack timezone', async () => {
    const res = await h.command('U0NYC', 'new payments 1.0.0 --at "tomorrow 10:00"');
    expect(res.reply!.text).toContain('Planned *REL-1*');
    const row = await h.relm.db.selectFrom('releases').select('planned_start').where('id', '=', 1).executeTakeFirstOrThrow();
    // 10:00 on Wednesday in New York, echoed back as a Slack date each reader sees in their own zone.
    expect(row.planned_start!.toISOString()).toBe('2026-11-25T15:00:00.000Z');
    expect(res.reply!.text).toContain(`Planned start: <!date^${Date.parse('2026-11-25T15:00:00Z') / 1000}^`);
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
    const moved = await h.command('U0DEV', 'schedule REL-2 thu 11:00');
    expect(moved.reply!.text).toContain(`<!date^${Date.parse('2026-11-26T11:00:00Z') / 1000}^`);
    expect(moved.reply!.text).toContain('now starts');
    const row = await h.relm.db.selectFrom('releases').select(['reschedule_count', 'revision']).where('id', '=', 2).executeTakeFirstOrThrow();
    expect(row.reschedule_count).toBe(1);
    expect(row.revision).toBe(1);
  });

  it('plans a submittable release by text alone, and edit REL-n changes one field without the form', async () => {
    const planned = await h.command('U0DEV', 'new search 1.0.0 --at "tomorrow 10:00" --title "Faster search" --rollback "Redeploy 0.9.0" --tests "CI run 42 green" --description "New index" --training https://wiki.example.com/search');
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    expect(planned.reply!.text).not.toContain('rollback plan before you submit');
    const edited = await h.command('U0DEV', `edit REL-${id} --tests "CI run 43 green"`);
    expect(edited.reply!.text).toContain(`Updated *REL-${id}*`);
    expect(edited.reply!.text).toContain('now revision 2');
    expect(h.slack.views.at(-1)?.view.title?.text).not.toBe(`Edit REL-${id}`);
    const submitted = await h.command('U0DEV', `submit REL-${id}`);
    expect(submitted.reply!.text).toContain(`Submitted *REL-${id}*`);
    const show = await h.command('U0DEV', `show REL-${id}`);
    expect(show.reply!.text).toContain('*Test evidence:* CI run 43 green');
    expect(show.reply!.text).toContain('*Rollback plan:* Redeploy 0.9.0');
    expect(show.reply!.text).toContain('*Description:* New index');
    expect(show.reply!.text).toContain('*Training needed:* yes: https://wiki.example.com/search');
  });

  it('refuses a time it cannot read as one instant, saying what it understood', async () => {
    const vague = await h.command('U0DEV', 'new search 2.0.0 --at tomorrow');
    expect(vague.reply!.text).toContain('"tomorrow" says the day (Wednesday 25 November) but not the time');
    const past = await h.command('U0DEV', 'new search 2.0.0 --at "2026-11-24 09:00"');
    expect(past.reply!.text).toMatch(/The planned start <!date\^\d+\^[^>]*> is in the past/);
  });

  it('takes the impact on users and the early-life-support contact, by text and shown back', async () => {
    const planned = await h.command('U0DEV', 'new search 3.0.0 --impact "Search is read-only for 5 minutes" --contact <#C0SUPPORT|search-support> --rollback "Redeploy 2.9" --tests "CI 7"');
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    const show = await h.command('U0DEV', `show REL-${id}`);
    expect(show.reply!.text).toContain('*Impact on users:* Search is read-only for 5 minutes');
    expect(show.reply!.text).toContain('*Contact during early life support:* <#C0SUPPORT>');
    const person = await h.command('U0DEV', `edit REL-${id} --contact <@U0ONCALL>`);
    expect(person.reply!.text).toContain('now revision 2');
    expect((await h.command('U0DEV', `show REL-${id}`)).reply!.text).toContain('*Contact during early life support:* <@U0ONCALL>');
    const bad = await h.command('U0DEV', `edit REL-${id} --contact "the search team"`);
    expect(bad.reply!.text).toContain('`--contact` takes a channel or a person');
  });

  it('refuses to submit a release that needs training without its material where the policy says so', async () => {
    const planned = await h.command('U0DEV', 'new search 4.0.0 --training --rollback "Redeploy 3.0" --tests "CI 8"');
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    const refused = await h.command('U0DEV', `submit REL-${id}`);
    expect(refused.reply!.text).toContain('needs links to its training material');
    await h.command('U0DEV', `edit REL-${id} --training https://wiki.example.com/search-4`);
    expect((await h.command('U0DEV', `submit REL-${id}`)).reply!.text).toContain(`Submitted *REL-${id}*`);
  });
});
