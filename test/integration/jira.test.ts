import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, textSink, waitFor, type Harness } from '../support/harness.ts';
import { runDoctor } from '../../src/doctor.ts';
import { FakeJira } from '../support/fake-jira.ts';
import { findCard, planValues } from '../support/slack-views.ts';

let h: Harness;
let jira: FakeJira;

beforeAll(async () => {
  jira = await new FakeJira().start();
  h = await startHarness({ store: 'postgres', env: { JIRA_HOST: jira.url, JIRA_EMAIL: 'relm@example.com', JIRA_API_TOKEN: 'jira-api-token-123', JIRA_WEBHOOK_SECRET: 'jira-hook-secret', RELM_HTTP_TIMEOUT_MS: '800' } });
});

afterAll(async () => {
  await h?.stop();
  await jira?.stop();
});

async function submitted(version: string): Promise<number> {
  const planned = await h.command('U0DEV', `new payments ${version} --title "Checkout <fast>"`);
  const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
  const edit = await h.command('U0DEV', `edit REL-${id}`);
  await h.submitView('U0DEV', edit.view, planValues({ version, title: 'Checkout <fast>', rollback: 'Redeploy the previous image', evidence: 'CI run 7 green' }));
  await h.command('U0DEV', `submit REL-${id}`);
  return id;
}

describe('the change ticket in Jira', () => {
  it('raises one ticket on submit, through a Jira 5xx that came after Jira made it, with the plan in Atlassian Document Format', async () => {
    // Jira made the ticket, then the gateway answered 503: a blind retry of the POST would make a second one.
    jira.faults.push({ status: 503, method: 'POST', path: /\/rest\/api\/3\/issue$/, after: true });
    const id = await submitted('1.0.0');
    const ticket = await waitFor(() => jira.tickets.find((t) => t.fields.labels?.includes(`relm-rel-${id}`)), 'the change ticket');
    await waitFor(async () => (await h.relm.db.selectFrom('releases').select('jira_key').where('id', '=', id).executeTakeFirstOrThrow()).jira_key, 'the key to be stored');
    expect(jira.tickets).toHaveLength(1);
    expect(jira.calls.filter((c) => c.method === 'POST' && c.path === '/rest/api/3/issue')).toHaveLength(1);
    expect(ticket.fields).toMatchObject({ project: { key: 'CHG' }, issuetype: { name: 'Change' }, summary: `REL-${id}: Payments API 1.0.0: Checkout <fast>` });
    expect(ticket.fields.description.type).toBe('doc');
    expect(JSON.stringify(ticket.fields.description)).toContain('Redeploy the previous image');
    await h.settle();
    expect(ticket.status).toBe('Awaiting approval');
    expect(jira.calls.every((c) => c.auth === `Basic ${Buffer.from('relm@example.com:jira-api-token-123').toString('base64')}`)).toBe(true);
    expect(jira.calls.every((c) => c.api === '3')).toBe(true);
    const show = await h.command('U0DEV', `show REL-${id}`);
    expect(show.reply!.text).toContain(`Change ticket: ${ticket.key} (in sync)`);
  });

  it('moves the ticket by transition name and comments on each approval', async () => {
    const [ticket] = jira.tickets;
    await h.command('U0APP1', 'approve REL-1 looks right');
    await h.command('U0APP2', 'approve REL-1');
    await h.settle();
    expect(ticket!.status).toBe('Approved');
    const comments = ticket!.comments.map((c) => JSON.stringify(c.body));
    expect(comments.filter((c) => c.includes('Approved by Slack user'))).toHaveLength(2);
    expect(comments.some((c) => c.includes('looks right'))).toBe(true);
    // transitions are looked up by name (ids differ per workflow), never hard-coded
    expect(jira.calls.filter((c) => c.method === 'GET' && c.path.endsWith('/transitions')).length).toBeGreaterThanOrEqual(2);
  });

  it('records a rejection as the Declined transition with the reason', async () => {
    const id = await submitted('1.1.0');
    await h.settle();
    await h.command('U0APP1', `reject REL-${id} no load test`);
    await h.settle();
    const ticket = jira.tickets.find((t) => t.fields.labels?.includes(`relm-rel-${id}`))!;
    expect(ticket.status).toBe('Declined');
    expect(JSON.stringify(ticket.comments)).toContain('no load test');
  });

  it('shows a refusal from Jira on the release, and the release flow goes on', async () => {
    jira.faults.push({ status: 400, method: 'POST', path: /\/rest\/api\/3\/issue$/, body: { errorMessages: [], errors: { issuetype: 'The issue type selected is invalid.' } } });
    const id = await submitted('1.2.0');
    await h.settle();
    const show = await h.command('U0DEV', `show REL-${id}`);
    expect(show.reply!.text).toContain('Awaiting approval');
    expect(show.reply!.text).toMatch(/jira raise failed:\* Jira refused to create the change ticket \(400\)/);
    await waitFor(() => JSON.stringify(findCard(h.slack, 'C0PAY', id)?.blocks ?? []).includes('jira raise failed: Jira refused to create the change ticket (400)'), 'the refusal on the card');
    const approved = await h.command('U0APP1', `approve REL-${id}`);
    expect(approved.reply!.text).toContain('(1 of 2)');
  });

  it('says the ticket is still being updated while a call to Jira is being retried, and in sync once it went through', async () => {
    const id = await submitted('1.4.0');
    await h.settle();
    // Jira fails every attempt at the next comment for a while: the client's own three, then the job's first.
    for (let i = 0; i < 4; i++) jira.faults.push({ status: 503, method: 'POST', path: /\/comment$/ });
    await h.command('U0APP1', `reject REL-${id} not this week`);
    await waitFor(() => jira.faults.length === 0 || undefined, 'the comment to fail', 10_000);
    const pending = await h.command('U0DEV', `show REL-${id}`);
    expect(pending.reply!.text).toMatch(/Change ticket: CHG-\d+ \(sync pending: relm is still updating it\)/);
    await h.settle();
    expect((await h.command('U0DEV', `show REL-${id}`)).reply!.text).toMatch(/Change ticket: CHG-\d+ \(in sync\)/);
  });

  it('gives up on a create Jira is slow to answer, and the retry finds that ticket instead of raising another', async () => {
    // Jira makes the ticket at once but answers after 3 s; relm stops waiting after 0.8 s.
    jira.faults.push({ method: 'POST', path: /\/rest\/api\/3\/issue$/, delayMs: 3_000 });
    const id = await submitted('1.5.0');
    const mine = () => jira.tickets.filter((t) => t.fields.labels?.includes(`relm-rel-${id}`));
    await waitFor(async () => (await h.relm.db.selectFrom('releases').select('jira_key').where('id', '=', id).executeTakeFirstOrThrow()).jira_key, 'the ticket key to be stored', 10_000);
    expect(mine()).toHaveLength(1);
    expect(jira.calls.filter((c) => c.method === 'POST' && c.path === '/rest/api/3/issue' && c.body.fields.labels.includes(`relm-rel-${id}`))).toHaveLength(1);
    const row = await h.relm.db.selectFrom('releases').select('jira_key').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.jira_key).toBe(mine()[0]!.key);
  });
});

describe('approval in Jira (approval_source: both)', () => {
  async function jiraWebhook(key: string, status: string, options: { secret?: string; id?: string } = {}) {
    const { createHmac, randomUUID } = await import('node:crypto');
    const body = JSON.stringify({ timestamp: Date.now(), webhookEvent: 'jira:issue_updated', user: { accountId: '5b10', displayName: 'Carol CAB' }, issue: { id: '10001', key, fields: { status: { name: status } } }, changelog: { items: [{ field: 'status', fieldtype: 'jira', fromString: 'Awaiting approval', toString: status }] } });
    const res = await fetch(`${h.baseUrl}/webhooks/jira`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-atlassian-webhook-identifier': options.id ?? randomUUID(), 'x-hub-signature': `sha256=${createHmac('sha256', options.secret ?? 'jira-hook-secret').update(body).digest('hex')}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function billing(version: string): Promise<{ id: number; key: string }> {
    const planned = await h.command('U0DEV', `new billing ${version}`, { channel: 'C0BILL' });
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    const edit = await h.command('U0DEV', `edit REL-${id}`, { channel: 'C0BILL' });
    await h.submitView('U0DEV', edit.view, planValues({ version, rollback: 'redeploy', evidence: 'ci' }));
    await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0BILL' });
    await h.settle();
    const row = await h.relm.db.selectFrom('releases').select('jira_key').where('id', '=', id).executeTakeFirstOrThrow();
    return { id, key: row.jira_key! };
  }

  async function state(id: number) {
    return (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
  }

  it('needs both the Slack approvals and the ticket approved in Jira, and takes each webhook delivery once', async () => {
    const { id, key } = await billing('1.0.0');
    expect((await jiraWebhook(key, 'Approved', { secret: 'wrong' })).status).toBe(401);
    await h.command('U0APP1', `approve REL-${id}`, { channel: 'C0BILL' });
    expect(await state(id)).toBe('submitted');
    const delivery = 'jira-delivery-1';
    expect((await jiraWebhook(key, 'Approved', { id: delivery })).body).toEqual({ release: id, outcome: 'approved' });
    expect(await state(id)).toBe('approved');
    expect((await jiraWebhook(key, 'Approved', { id: delivery })).body).toEqual({ duplicate: true });
    const show = await h.command('U0DEV', `show REL-${id}`, { channel: 'C0BILL' });
    expect(show.reply!.text).toContain('approved in Jira by Carol CAB');
  });

  it('with approval_source: jira, the ticket approved in Jira authorises the release alone; a slack-only policy ignores Jira', async () => {
    const planned = await h.command('U0DEV', 'new ledger 1.0.0', { channel: 'C0LEDG' });
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    const edit = await h.command('U0DEV', `edit REL-${id}`, { channel: 'C0LEDG' });
    await h.submitView('U0DEV', edit.view, planValues({ version: '1.0.0', rollback: 'redeploy', evidence: 'ci' }));
    await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0LEDG' });
    await h.settle();
    const { jira_key: key } = await h.relm.db.selectFrom('releases').select('jira_key').where('id', '=', id).executeTakeFirstOrThrow();
    expect((await jiraWebhook(key!, 'Approved')).body).toEqual({ release: id, outcome: 'approved' });
    expect(await state(id)).toBe('approved');
    // payments follows the standard policy (Slack approvals only): an approval in Jira changes nothing.
    const payments = await h.relm.db.selectFrom('releases').select(['id', 'jira_key', 'state']).where('service', '=', 'payments').where('state', '=', 'submitted').where('jira_key', 'is not', null).executeTakeFirstOrThrow();
    expect((await jiraWebhook(payments.jira_key!, 'Approved')).body).toEqual({ release: payments.id, outcome: 'ignored' });
    expect(await state(payments.id)).toBe('submitted');
  });

  it('rejects the release when the ticket is declined in Jira', async () => {
    const { id, key } = await billing('1.1.0');
    expect((await jiraWebhook(key, 'Declined')).body).toEqual({ release: id, outcome: 'rejected' });
    expect(await state(id)).toBe('rejected');
  });

  it('moves the ticket to Implementing when the rollout starts, and comments when it is aborted', async () => {
    const { id, key } = await billing('1.2.0');
    await h.command('U0APP1', `approve REL-${id}`, { channel: 'C0BILL' });
    expect((await jiraWebhook(key, 'Approved')).body).toEqual({ release: id, outcome: 'approved' });
    await h.command('U0DEV', `start REL-${id}`, { channel: 'C0BILL' });
    await waitFor(async () => (await state(id)) === 'in_progress' || undefined, 'the rollout to start', 10_000);
    await h.settle();
    const ticket = jira.tickets.find((t) => t.key === key)!;
    // Approved, then Implementing: in the order relm wrote them, though they ran as separate jobs.
    expect(ticket.status).toBe('Implementing');
    await h.command('U0DEV', `abort REL-${id} the canary looks wrong`, { channel: 'C0BILL' });
    await h.settle();
    expect(ticket.comments.map((c) => JSON.stringify(c.body)).some((c) => c.includes('Rollout aborted: the canary looks wrong'))).toBe(true);
  });

  it('cancels the release when the change is cancelled in Jira, and says so on the card', async () => {
    const { id, key } = await billing('1.3.0');
    expect((await jiraWebhook(key, 'Cancelled')).body).toEqual({ release: id, outcome: 'cancelled' });
    expect(await state(id)).toBe('cancelled');
    await waitFor(() => JSON.stringify(findCard(h.slack, 'C0BILL', id)?.blocks ?? []).includes('Cancelled'), 'the card to say cancelled');
    const show = await h.command('U0DEV', `show REL-${id}`, { channel: 'C0BILL' });
    expect(show.reply!.text).toContain('cancelled in Jira by Carol CAB');
    // relm's own move of the ticket to Cancelled comes back as a webhook, and changes nothing.
    expect((await jiraWebhook(key, 'Cancelled')).body).toEqual({ release: id, outcome: 'ignored' });
  });
});

describe('doctor on Jira', () => {
  it('fails when a policy waits on Jira approvals that cannot come, and passes once Jira and its webhook are set', async () => {
    const off = textSink();
    expect(await runDoctor({ ...h.env, JIRA_HOST: undefined, JIRA_EMAIL: undefined, JIRA_API_TOKEN: undefined, JIRA_WEBHOOK_SECRET: undefined }, off.sink)).toBe(1);
    expect(off.text()).toMatch(/✔ jira\s+not configured: change tickets are off/);
    expect(off.text()).toMatch(/✘ wiring\s+.*policy jira-gated takes approvals from Jira \(approval_source: both\) but JIRA_HOST is not set/);
    const noHook = textSink();
    expect(await runDoctor({ ...h.env, JIRA_WEBHOOK_SECRET: undefined }, noHook.sink)).toBe(1);
    expect(noHook.text()).toContain('but JIRA_WEBHOOK_SECRET is not set, so Jira cannot tell relm');
    const on = textSink();
    await runDoctor(h.env, on.sink);
    expect(on.text()).toMatch(/✔ wiring\s+relm.yml asks nothing of Jira or GitHub that the environment lacks/);
  });
});
