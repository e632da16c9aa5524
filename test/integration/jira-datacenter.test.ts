import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, textSink, waitFor, type Harness } from '../support/harness.ts';
import { FakeJira } from '../support/fake-jira.ts';
import { planValues } from '../support/slack-views.ts';
import { runDoctor } from '../../src/doctor.ts';

let h: Harness;
let jira: FakeJira;
const PAT = 'dc-personal-access-token-456';

beforeAll(async () => {
  jira = await new FakeJira().start();
  h = await startHarness({ store: 'postgres', env: { JIRA_HOST: jira.url, JIRA_DEPLOYMENT: 'datacenter', JIRA_API_TOKEN: PAT, JIRA_WEBHOOK_SECRET: 'jira-hook-secret' } });
});

afterAll(async () => {
  await h?.stop();
  await jira?.stop();
});

async function submitted(version: string, plan: { description?: string } = {}): Promise<number> {
  const planned = await h.command('U0DEV', `new payments ${version} --title "Checkout <fast>"`);
  const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
  const edit = await h.command('U0DEV', `edit REL-${id}`);
  await h.submitView('U0DEV', edit.view, planValues({ version, title: 'Checkout <fast>', description: plan.description, rollback: 'Redeploy the previous image', evidence: 'CI run 7 green' }));
  await h.command('U0DEV', `submit REL-${id}`);
  return id;
}

const ticketOf = (id: number) => jira.tickets.find((t) => t.fields.labels?.includes(`relm-rel-${id}`));

describe('the change ticket in Jira Data Center (JIRA_DEPLOYMENT=datacenter)', () => {
  it('raises the ticket over REST v2 with the PAT as a Bearer token and the plan in wiki markup', async () => {
    const id = await submitted('1.0.0', { description: 'h1. Not a heading\n{code}not a macro\n[~admin] no mention' });
    const ticket = await waitFor(() => ticketOf(id), 'the change ticket');
    await h.settle();
    expect(ticket.fields).toMatchObject({ project: { key: 'CHG' }, issuetype: { name: 'Change' }, summary: `REL-${id}: Payments API 1.0.0: Checkout <fast>` });
    const description: string = ticket.fields.description;
    expect(typeof description).toBe('string');
    expect(description).toContain('h3. Rollback plan\n\nRedeploy the previous image');
    // user text cannot open a heading (Jira's block patterns skip only ASCII whitespace, not a no-break space), a macro or a mention
    expect(description).toContain('\u00a0h1. Not a heading');
    expect(description.split('\n').filter((l) => /^[ \t]*h[1-6]\./.test(l))).toEqual(['h3. Release', 'h3. Description', 'h3. Waves', 'h3. Rollback plan', 'h3. Test evidence']);
    expect(description).toContain('\\{code\\}not a macro');
    expect(description).toContain('\\[~admin\\] no mention');
    expect(ticket.status).toBe('Awaiting approval');

    const created = jira.calls.filter((c) => c.method === 'POST' && c.path === '/rest/api/2/issue');
    expect(created).toHaveLength(1);
    expect(jira.calls.some((c) => c.method === 'GET' && c.path === '/rest/api/2/search' && c.query.jql === `project = "CHG" AND labels = "relm-rel-${id}"`)).toBe(true);
    expect(jira.calls.every((c) => c.api === '2' && c.auth === `Bearer ${PAT}`)).toBe(true);
    const show = await h.command('U0DEV', `show REL-${id}`);
    expect(show.reply!.text).toContain(`Change ticket: ${ticket.key} (in sync)`);
  });

  it('does not raise a second ticket when the job is retried after Jira created the first (label search)', async () => {
    // Jira creates the issue, but its answer is lost: the job fails and runs again.
    jira.faults.push({ status: 500, method: 'POST', path: /^\/rest\/api\/2\/issue$/, after: true });
    const id = await submitted('1.0.1');
    await waitFor(() => ticketOf(id), 'the change ticket');
    await waitFor(async () => (await h.relm.db.selectFrom('releases').select('jira_key').where('id', '=', id).executeTakeFirstOrThrow()).jira_key, 'the stored ticket key', 15_000);
    await h.settle();
    expect(jira.faults).toHaveLength(0);
    expect(jira.tickets.filter((t) => t.fields.labels?.includes(`relm-rel-${id}`))).toHaveLength(1);
    expect(jira.calls.filter((c) => c.method === 'POST' && c.path === '/rest/api/2/issue' && c.body.fields.labels.includes(`relm-rel-${id}`))).toHaveLength(1);
    const searches = jira.calls.filter((c) => c.path === '/rest/api/2/search' && c.query.jql?.includes(`relm-rel-${id}"`));
    expect(searches.length).toBeGreaterThanOrEqual(2);
    expect(ticketOf(id)!.status).toBe('Awaiting approval');
  });

  it('moves the ticket by transition name and comments in wiki markup on each approval', async () => {
    const id = await submitted('1.1.0');
    await h.settle();
    await h.command('U0APP1', `approve REL-${id} looks right`);
    await h.command('U0APP2', `approve REL-${id}`);
    await h.settle();
    const ticket = ticketOf(id)!;
    expect(ticket.status).toBe('Approved');
    expect(ticket.comments.every((c) => typeof c.body === 'string' && c.body.startsWith('h3. relm\n\n'))).toBe(true);
    expect(ticket.comments.filter((c) => c.body.includes('Approved by Slack user'))).toHaveLength(2);
    expect(ticket.comments.some((c) => c.body.includes('looks right'))).toBe(true);
    const transitions = jira.calls.filter((c) => c.path === `/rest/api/2/issue/${ticket.key}/transitions`);
    expect(transitions.some((c) => c.method === 'GET')).toBe(true);
    expect(transitions.filter((c) => c.method === 'POST').map((c) => c.body.transition.id)).toContain('12'); // "Approved" in the fake's workflow
  });

  it('shows a refusal from Jira Data Center on the release, and the release flow goes on', async () => {
    jira.faults.push({ status: 400, method: 'POST', path: /^\/rest\/api\/2\/issue$/, body: { errorMessages: [], errors: { issuetype: 'The issue type selected is invalid.' } } });
    const id = await submitted('1.2.0');
    await h.settle();
    const show = await h.command('U0DEV', `show REL-${id}`);
    expect(show.reply!.text).toContain('Awaiting approval');
    expect(show.reply!.text).toMatch(/jira raise failed:\* Jira refused to create the change ticket \(400\)/);
    expect(ticketOf(id)).toBeUndefined();
  });

  it('doctor says it signed in to Jira Data Center', async () => {
    const { sink, text } = textSink();
    await runDoctor(h.env, sink);
    expect(text()).toMatch(/✔ jira .*Jira Data Center \(REST v2, Personal Access Token\)\): signed in as relm bot/);
    expect(jira.calls.filter((c) => c.path === '/rest/api/2/myself').every((c) => c.auth === `Bearer ${PAT}`)).toBe(true);
  });
});
