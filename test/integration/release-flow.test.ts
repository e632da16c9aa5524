import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { clockFrom } from '../support/clock.ts';
import { buttonsOf, findApprovalRequests, findCard, planValues } from '../support/slack-views.ts';
import { ACTIONS } from '../../src/bot/blocks/ids.ts';

let h: Harness;

// The planned start below is in a change window and before the holiday freeze, so this file sets the
// clock it runs with: a week before that start.
beforeAll(async () => {
  h = await startHarness({ store: 'postgres', clock: clockFrom('2026-11-24T09:00:00Z') });
});

afterAll(async () => {
  await h?.stop();
});

const START = '2026-12-01 10:00'; // a Tuesday inside the window, before the freeze, a week after the clock's start

async function planReady(user: string, version: string, type = 'minor'): Promise<number> {
  const planned = await h.command(user, `new payments ${version} --type ${type} --at "${START}"`);
  const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
  await h.settle();
  const edit = await h.command(user, `edit REL-${id}`);
  const saved = await h.submitView(user, edit.view, planValues({ version, type, rollback: 'Redeploy the previous image', evidence: 'CI run 812 green', start: new Date('2026-12-01T10:00:00Z') }));
  expect(saved.status).toBe(200);
  await h.settle();
  return id;
}

describe('planning, submitting and approving a release over HTTP', () => {
  it('plans from the text command and posts an escaped card in the release channel', async () => {
    const res = await h.command('U0DEV', 'new payments 1.4.0 --title "Faster <!channel> checkout & more" --at "2026-12-01 10:00"');
    expect(res.status).toBe(200);
    expect(res.reply!.text).toContain('Planned *REL-1*');
    expect(res.reply!.text).toContain('rollback plan');
    await h.settle();
    const card = findCard(h.slack, 'C0PAY', 1)!;
    expect(card).toBeDefined();
    const rendered = JSON.stringify(card.blocks);
    expect(rendered).toContain('Faster &lt;!channel&gt; checkout &amp; more');
    expect(rendered).not.toContain('<!channel>');
    expect(card.text).not.toContain('<!channel>');
    expect(buttonsOf(card).map((b) => b.action_id)).toEqual([ACTIONS.submit, ACTIONS.edit, ACTIONS.cancel]);
    expect(h.slack.thread('C0PAY', card.ts).map((m) => m.text)).toEqual(['<@U0DEV> planned this release.']);
  });

  it('refuses to submit a plan without a rollback plan and says what is missing', async () => {
    const res = await h.command('U0DEV', 'submit rel-1');
    expect(res.reply!.text).toMatch(/needs a rollback plan and test evidence/);
    const show = await h.command('U0DEV', 'show REL-1');
    expect(show.reply!.text).toContain('Draft');
  });

  it('edits the plan in the modal, keeping field errors in the modal', async () => {
    const edit = await h.command('U0DEV', 'edit REL-1');
    expect(edit.view.callback_id).toBe('relm_plan');
    const bad = await h.submitView('U0DEV', edit.view, planValues({ version: 'not-a-version', rollback: 'x' }));
    expect(bad.body).toEqual({ response_action: 'errors', errors: { version: expect.stringContaining('not a semantic version') } });
    const good = await h.submitView('U0DEV', edit.view, planValues({ version: '1.4.0', title: 'Faster checkout', rollback: 'Redeploy 1.3.9', evidence: 'CI run 812 green', start: new Date('2026-12-01T10:00:00Z') }));
    expect(good.status).toBe(200);
    expect(good.body).toBeUndefined();
    await h.settle();
    const show = await h.command('U0DEV', 'show REL-1');
    expect(show.reply!.text).toContain('revision 2');
    expect(show.reply!.text).toContain('Redeploy 1.3.9');
  });

  it('submits, asks the approvers with a confirmed Approve button, and refuses self- and outside approval', async () => {
    const submitted = await h.command('U0DEV', 'submit REL-1');
    expect(submitted.reply!.text).toContain('Submitted *REL-1*');
    await h.settle();
    const [request] = findApprovalRequests(h.slack, 'C0PAY', 1);
    expect(request).toBeDefined();
    const [approve, reject] = buttonsOf(request!);
    expect(approve!.action_id).toBe(ACTIONS.approve);
    expect(approve!.value).toBe('1:2');
    expect(approve!.confirm).toBeDefined();
    expect(reject!.action_id).toBe(ACTIONS.reject);
    expect(JSON.stringify(request!.blocks)).toContain('<!subteam^S0APPROVERS>');

    const self = await h.click('U0DEV', ACTIONS.approve, approve!.value, request!);
    expect(self.reply!.text).toContain('You planned REL-1, so you cannot decide on it');
    const outsider = await h.click('U0NOBODY', ACTIONS.approve, approve!.value, request!);
    expect(outsider.reply!.text).toContain('not an approver for minor releases of payments');
    const show = await h.command('U0DEV', 'show REL-1');
    expect(show.reply!.text).toContain('Approvals: 0 of 2');
  });

  it('approves with two approvals from the group, updates the card in place and announces once', async () => {
    const [request] = findApprovalRequests(h.slack, 'C0PAY', 1);
    const first = await h.click('U0APP1', ACTIONS.approve, '1:2', request!);
    expect(first.reply!.text).toContain('(1 of 2)');
    const again = await h.click('U0APP1', ACTIONS.approve, '1:2', request!);
    expect(again.reply!.text).toContain('already decided');
    const second = await h.click('U0APP2', ACTIONS.approve, '1:2', request!);
    // The approver hears what the card says: authorised, and on the calendar for its planned start.
    expect(second.reply!.text).toContain(`it is authorised and scheduled for <!date^${Date.parse('2026-12-01T10:00:00Z') / 1000}^`);
    await h.settle();

    const card = findCard(h.slack, 'C0PAY', 1)!;
    // approved with a planned start: straight onto the calendar
    expect(card.blocks[0].text.text).toContain('Scheduled');
    expect(card.edits).toBeGreaterThan(0);
    // one card, one approval request: the card was updated, never reposted
    expect(h.slack.channelMessages('C0PAY').filter((m) => m.blocks[0]?.text?.text?.startsWith('*REL-1 ·'))).toHaveLength(1);
    const closed = findApprovalRequests(h.slack, 'C0PAY', 1)[0]!;
    expect(buttonsOf(closed)).toHaveLength(0);
    expect(JSON.stringify(closed.blocks)).toContain('Approved');
    const announcements = h.slack.thread('C0PAY', card.ts).filter((m) => m.text.includes('is approved'));
    expect(announcements).toHaveLength(1);
    expect(announcements[0]!.text).toContain('<@U0APP1>');
    expect(h.slack.callsTo('chat.postMessage').find((c) => c.args.text?.includes('is approved'))?.args.reply_broadcast).toBe('true');
  });

  it('moves the start of an approved release with `edit --at` as `schedule` does: the approvals stand, and it counts as rescheduled, not revised', async () => {
    const before = await h.relm.db.selectFrom('releases').select(['revision', 'reschedule_count']).where('id', '=', 1).executeTakeFirstOrThrow();
    const moved = await h.command('U0DEV', 'edit REL-1 --at "2026-12-01 11:00"');
    expect(moved.reply!.text).not.toMatch(/cannot|went wrong/i);
    await h.settle();
    const show = (await h.command('U0DEV', 'show REL-1')).reply!.text;
    expect(show).toContain('Scheduled');
    expect(show).toContain('Approvals: 2 of 2');
    const row = await h.relm.db.selectFrom('releases').select(['revision', 'reschedule_count', 'revised_after_submit', 'revised_after_approval', 'planned_start']).where('id', '=', 1).executeTakeFirstOrThrow();
    expect(row).toEqual({ revision: before.revision, reschedule_count: before.reschedule_count + 1, revised_after_submit: 0, revised_after_approval: 0, planned_start: new Date('2026-12-01T11:00:00Z') });
    const last = await h.relm.db.selectFrom('audit_log').select('action').where('release_id', '=', 1).orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(last.action).toBe('rescheduled');
    // No new approval request: the one that was approved is still the last.
    expect(findApprovalRequests(h.slack, 'C0PAY', 1)).toHaveLength(1);
  });

  it('voids approvals when an approved plan changes, and asks again', async () => {
    const edit = await h.command('U0DEV', 'edit REL-1');
    await h.submitView('U0DEV', edit.view, planValues({ version: '1.4.0', title: 'Faster checkout', rollback: 'Redeploy 1.3.9 and flush caches', evidence: 'CI run 812 green', start: new Date('2026-12-01T10:00:00Z') }));
    await h.settle();
    const show = await h.command('U0DEV', 'show REL-1');
    expect(show.reply!.text).toContain('Awaiting approval');
    expect(show.reply!.text).toContain('revision 3');
    expect(show.reply!.text).toContain('Approvals: 0 of 2');
    const requests = findApprovalRequests(h.slack, 'C0PAY', 1);
    expect(requests).toHaveLength(2);
    expect(JSON.stringify(requests[0]!.blocks)).toContain('Superseded');
    expect(buttonsOf(requests[1]!)[0]!.value).toBe('1:3');
    // a button from the superseded request no longer counts
    const stale = await h.click('U0APP1', ACTIONS.approve, '1:2', requests[1]!);
    expect(stale.reply!.text).toContain('the plan has changed since');
  });

  it('rejects through the reason modal and closes the request', async () => {
    const [, request] = findApprovalRequests(h.slack, 'C0PAY', 1);
    const opened = await h.click('U0APP3', ACTIONS.reject, '1:3', request!);
    expect(opened.view.callback_id).toBe('relm_reject_reason');
    const empty = await h.submitView('U0APP3', opened.view, { reason: { value: { type: 'plain_text_input', value: '' } } });
    expect(empty.body.response_action).toBe('errors');
    const done = await h.submitView('U0APP3', opened.view, { reason: { value: { type: 'plain_text_input', value: 'Rollback misses the <cache> step' } } });
    expect(done.status).toBe(200);
    await h.settle();
    const show = await h.command('U0DEV', 'show REL-1');
    expect(show.reply!.text).toContain('Rejected');
    const closed = findApprovalRequests(h.slack, 'C0PAY', 1)[1]!;
    expect(buttonsOf(closed)).toHaveLength(0);
    expect(JSON.stringify(closed.blocks)).toContain('Rollback misses the &lt;cache&gt; step');
  });

  it('lists, shows the policy and verifies the audit trail', async () => {
    const list = await h.command('U0DEV', 'list payments --state rejected');
    expect(list.reply!.text).toContain('REL-1');
    const policy = await h.command('U0DEV', 'policy payments');
    expect(policy.reply!.text).toContain('minor: 2 from <!subteam^S0APPROVERS>');
    expect(policy.reply!.text).toContain('Holiday freeze');
    const audit = await h.command('U0DEV', 'audit REL-1');
    expect(audit.reply!.text).toContain('Audit trail intact');
  });
});

describe('exactly once', () => {
  it('30 concurrent Approve clicks from 3 group members yield 2 approvals, one approval and one announcement', async () => {
    const id = await planReady('U0DEV', '2.0.0', 'minor');
    await h.command('U0DEV', `submit REL-${id}`);
    await h.settle();
    const [request] = findApprovalRequests(h.slack, 'C0PAY', id);
    const clickers = ['U0APP1', 'U0APP2', 'U0APP3'];
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => h.click(clickers[i % 3]!, ACTIONS.approve, `${id}:2`, request!, { wait: false })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    await h.settle();

    const decisions = await h.relm.db.selectFrom('decisions').select(['approver']).where('release_id', '=', id).execute();
    expect(decisions).toHaveLength(2);
    const approvedEntries = await h.relm.db.selectFrom('audit_log').select('seq').where('release_id', '=', id).where('action', '=', 'approved').execute();
    expect(approvedEntries).toHaveLength(1);
    const card = findCard(h.slack, 'C0PAY', id)!;
    expect(h.slack.thread('C0PAY', card.ts).filter((m) => m.text.includes('is approved'))).toHaveLength(1);
    const release = await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow();
    expect(release.state).toBe('scheduled');
  });

  it('a retried slash command (X-Slack-Retry-Num) does not plan twice', async () => {
    const { slashCommandBody } = await import('../support/slack-requests.ts');
    const responseUrl = h.slack.responseUrl({ user: 'U0DEV' });
    const body = slashCommandBody({ user: 'U0DEV', text: 'new search 1.0.0', channel: 'C0SEARCH', responseUrl, triggerId: 'trigger-retry-1' });
    const first = await h.post('/slack/events', body);
    const retry = await h.post('/slack/events', body, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    await h.settle();
    const rows = await h.relm.db.selectFrom('releases').select('id').where('service', '=', 'search').execute();
    expect(rows).toHaveLength(1);
    // the retry is dropped before it reaches the use case: no second answer (not even "already planned")
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answers = h.slack.ephemerals.filter((e) => e.responseUrl === responseUrl);
    expect(answers.map((a) => a.text.split('\n')[0])).toEqual([expect.stringContaining('Planned *REL-')]);
  });
});
