import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type Harness } from '../support/harness.ts';
import { eventBody } from '../support/slack-requests.ts';
import { startHomeHarness } from '../support/home-harness.ts';
import { clockFrom } from '../support/clock.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHomeHarness({ clock: clockFrom('2026-11-24T09:00:00Z'), homeRefreshMs: 200 });
});

afterAll(async () => {
  await h?.stop();
});

/** Plans a release by text and returns its id. */
async function plan(service: string, version: string, extra = ''): Promise<number> {
  const title = extra.includes('--title') ? '' : `--title "${service} ${version}"`;
  const planned = await h.command('U0DEV', `new ${service} ${version} ${title} --rollback "Redeploy the previous image" --tests "CI green" ${extra}`);
  const id = /REL-(\d+)/.exec(planned.reply!.text);
  if (!id) throw new Error(`not planned: ${planned.reply!.text}`);
  return Number(id[1]);
}

async function submitted(service: string, version: string, extra = ''): Promise<number> {
  const id = await plan(service, version, extra);
  await h.command('U0DEV', `submit REL-${id}`);
  return id;
}

async function scheduled(service: string, version: string, at: string): Promise<number> {
  const id = await submitted(service, version, `--at "${at}"`);
  const approvers = service === 'search' ? ['U0APP3'] : ['U0APP1', 'U0APP2'];
  for (const approver of approvers) await h.command(approver, `approve REL-${id}`);
  await h.settle();
  const { state } = await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow();
  expect(state).toBe('scheduled');
  return id;
}

/** The Home view as text and its buttons, after every effect is done. */
async function home(user: string) {
  await h.settle();
  const view = await h.openHome(user);
  const text = JSON.stringify(view.blocks);
  const buttons = (view.blocks as any[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements) as { action_id: string; value: string; confirm?: any }[];
  const section = (title: string) => {
    const blocks = view.blocks as any[];
    const start = blocks.findIndex((b) => b.type === 'section' && b.text.text.startsWith(`*${title}`));
    const end = blocks.findIndex((b, i) => i > start && b.type === 'divider');
    return JSON.stringify(blocks.slice(start, end === -1 ? undefined : end));
  };
  return { view, text, buttons, section };
}

describe('App Home', () => {
  it('shows each person the requests they may still decide on, with the Approve and Reject buttons of the request', async () => {
    const payments = await submitted('payments', '1.0.0');
    const search = await submitted('search', '1.0.0');

    const app1 = await home('U0APP1');
    expect(app1.view.type).toBe('home');
    expect(app1.section('Waiting for your approval')).toContain(`*REL-${payments}*`);
    expect(app1.section('Waiting for your approval')).not.toContain(`*REL-${search}*`);
    const approve = app1.buttons.find((b) => b.action_id === 'relm_approve')!;
    expect(approve.value).toBe(`${payments}:1`);
    expect(approve.confirm.title.text).toBe(`Approve REL-${payments}?`);
    expect(app1.buttons.find((b) => b.action_id === 'relm_reject')!.value).toBe(`${payments}:1`);

    const app3 = await home('U0APP3');
    expect(app3.section('Waiting for your approval')).toContain(`*REL-${payments}*`);
    expect(app3.section('Waiting for your approval')).toContain(`*REL-${search}*`);

    // The requester decides nothing on their own release; it is under "Your releases".
    const dev = await home('U0DEV');
    expect(dev.buttons).toEqual([]);
    expect(dev.section('Your releases')).toContain(`*REL-${payments}*`);
    expect(dev.section('Your releases')).toContain('Awaiting approval');

    await h.command('U0APP1', `approve REL-${payments}`);
    expect((await home('U0APP1')).section('Waiting for your approval')).not.toContain(`*REL-${payments}*`);
    const app2 = await home('U0APP2');
    expect(app2.section('Waiting for your approval')).toContain(`*REL-${payments}*`);
    expect(app2.section('Waiting for your approval')).toContain('1 of 2 approvals so far');
    await h.command('U0DEV', `cancel REL-${payments} not needed`);
    await h.command('U0DEV', `cancel REL-${search} not needed`);
  });

  it('shows what is coming within 14 days only for the services whose audience I am in, and what ended lately', async () => {
    const soon = await scheduled('payments', '1.1.0', '2026-11-26 10:00');
    const later = await scheduled('payments', '1.2.0', '2026-12-16 10:00');
    const other = await scheduled('search', '1.1.0', '2026-11-27 10:00');

    // U0CUST1 is in payments' audience through the Slack user group S0CUSTOMERS.
    const cust1 = await home('U0CUST1');
    expect(cust1.section('Coming up for you')).toContain(`*REL-${soon}*`);
    expect(cust1.section('Coming up for you')).toContain(`<!date^${Date.parse('2026-11-26T10:00:00Z') / 1000}^`);
    expect(cust1.section('Coming up for you')).not.toContain(`*REL-${later}*`);
    expect(cust1.section('Coming up for you')).not.toContain(`*REL-${other}*`);
    // U0CUST2 is named in search's audience, U0CUST3 through the group "readers".
    for (const user of ['U0CUST2', 'U0CUST3']) {
      const shown = await home(user);
      expect(shown.section('Coming up for you')).toContain(`*REL-${other}*`);
      expect(shown.section('Coming up for you')).not.toContain(`*REL-${soon}*`);
    }
    expect((await home('U0NOBODY')).section('Coming up for you')).not.toContain('REL-');

    await h.command('U0DEV', `start REL-${soon}`);
    await h.command('U0DEV', `abort REL-${soon} error rate doubled`);
    const after = await home('U0CUST1');
    expect(after.section('Coming up for you')).not.toContain(`*REL-${soon}*`);
    expect(after.section('Recent outcomes')).toContain(`*REL-${soon}*`);
    expect(after.section('Recent outcomes')).toContain('Failed');
    expect((await home('U0CUST2')).section('Recent outcomes')).not.toContain(`*REL-${soon}*`);
    for (const id of [later, other]) await h.command('U0DEV', `cancel REL-${id} not needed`);
  });

  it('publishes nothing when the Messages tab is opened, and remembers nobody for it', async () => {
    const before = h.slack.homes.length;
    const res = await h.post('/slack/events', eventBody({ type: 'app_home_opened', user: 'U0MSGONLY', channel: 'D0MSGONLY', tab: 'messages' }), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    await res.text();
    await h.openHome('U0CUST2');
    expect(h.slack.homes.slice(before).map((p) => p.user)).toEqual(['U0CUST2']);
    expect(await h.relm.db.selectFrom('home_views').select('user_id').where('user_id', '=', 'U0MSGONLY').execute()).toEqual([]);
  });

  it('escapes what people wrote and stays within 100 blocks however much there is', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) ids.push(await submitted('payments', `2.${i}.0`, i === 0 ? '--title "<!channel> & friends"' : ''));
    const app1 = await home('U0APP1');
    expect(app1.view.blocks.length).toBeLessThanOrEqual(100);
    expect(app1.text).toContain('&lt;!channel&gt; &amp; friends');
    expect(app1.text).not.toContain('<!channel>');
    expect(app1.section('Waiting for your approval')).toContain('… and 5 more');
    expect(app1.buttons.filter((b) => b.action_id === 'relm_approve')).toHaveLength(15);
    for (const id of ids) await h.command('U0DEV', `cancel REL-${id} not needed`);
  });

  it('approves from Home through the same confirm and decision as the request: once, even on a double click', async () => {
    const id = await submitted('payments', '3.0.0');
    const app1 = await home('U0APP1');
    const approve = app1.buttons.find((b) => b.action_id === 'relm_approve' && b.value.startsWith(`${id}:`))!;
    const published = h.slack.homes.length;
    const clicks = await Promise.all([h.clickInHome('U0APP1', approve.action_id, approve.value), h.clickInHome('U0APP1', approve.action_id, approve.value)]);
    expect(clicks.map((c) => c.status)).toEqual([200, 200]);
    // One click is recorded and Home says so; the other is told it was already decided (by DM: Home has no response_url).
    const answered = await waitFor(() => h.slack.homes.slice(published).find((p) => p.user === 'U0APP1' && JSON.stringify(p.view.blocks).includes(`You approved`)), 'the Home view after the approval');
    expect(JSON.stringify(answered.view.blocks)).not.toContain(`"value":"${id}:1"`);
    await waitFor(() => h.slack.messages.find((m) => m.channel === 'U0APP1' && m.text.includes('already decided')), 'the answer to the second click');
    await h.settle();
    const decisions = await h.relm.db.selectFrom('decisions').select(['approver', 'decision']).where('release_id', '=', id).execute();
    expect(decisions).toEqual([{ approver: 'U0APP1', decision: 'approve' }]);

    const app2 = await home('U0APP2');
    const second = app2.buttons.find((b) => b.action_id === 'relm_approve' && b.value.startsWith(`${id}:`))!;
    await h.clickInHome('U0APP2', second.action_id, second.value);
    await waitFor(async () => (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state === 'approved', 'the release to be approved');
    await h.settle();
    // The request in the channel is closed as if its own button had been pressed.
    const request = h.slack.channelMessages('C0PAY').find((m) => m.text === `REL-${id}: approved`);
    expect(request).toBeDefined();
  });

  it('rejects from Home with the same reason modal, and shows the outcome in Home', async () => {
    const id = await submitted('payments', '3.1.0');
    const app1 = await home('U0APP1');
    const reject = app1.buttons.find((b) => b.action_id === 'relm_reject' && b.value.startsWith(`${id}:`))!;
    const views = h.slack.views.length;
    await h.clickInHome('U0APP1', reject.action_id, reject.value);
    const modal = await waitFor(() => h.slack.views[views]?.view, 'the reason modal');
    expect(modal.callback_id).toBe('relm_reject_reason');
    const published = h.slack.homes.length;
    const submit = await h.submitView('U0APP1', modal, { reason: { value: { type: 'plain_text_input', value: 'No rollback test' } } });
    expect(submit.status).toBe(200);
    await waitFor(() => h.slack.homes.slice(published).find((p) => p.user === 'U0APP1' && JSON.stringify(p.view.blocks).includes(`You rejected *REL-${id}*`)), 'Home after the rejection');
    expect((await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state).toBe('rejected');
  });
});
