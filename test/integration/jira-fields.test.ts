import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_CONFIG, startHarness, textSink, waitFor, type Harness } from '../support/harness.ts';
import { FakeJira } from '../support/fake-jira.ts';
import { planValues } from '../support/slack-views.ts';
import { runDoctor } from '../../src/doctor.ts';

let h: Harness;
let jira: FakeJira;

/** The test fixture with the Jira field mapping of the README. */
function mappedConfig(riskField = 'customfield_10041'): string {
  const yaml = readFileSync(FIXTURE_CONFIG, 'utf8').replace(
    'jira:\n  issue_type: Change\n',
    `jira:
  issue_type: Change
  fields: { planned_start: customfield_10061, planned_end: customfield_10062, risk: ${riskField}, release_link: customfield_10070 }
  risk_values: { low: Low, medium: Medium, high: High }
`,
  );
  const file = join(mkdtempSync(join(tmpdir(), 'relm-jira-')), 'relm.yml');
  writeFileSync(file, yaml);
  return file;
}

beforeAll(async () => {
  jira = await new FakeJira().start();
  jira.addIssue('ABC-1', 'Story');
  jira.addIssue('OPS-2', 'Task');
  h = await startHarness({ store: 'postgres', config: mappedConfig(), env: { JIRA_HOST: jira.url, JIRA_EMAIL: 'relm@example.com', JIRA_API_TOKEN: 'jira-api-token-123', JIRA_WEBHOOK_SECRET: 'jira-hook-secret' } });
});

afterAll(async () => {
  await h?.stop();
  await jira?.stop();
});

async function submitted(version: string, plan: { title?: string; description?: string; rollback?: string } = {}): Promise<{ id: number; ticket: FakeJira['tickets'][number] | undefined }> {
  const planned = await h.command('U0DEV', `new payments ${version} --risk high --at "2030-01-07 10:00"`);
  const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
  const edit = await h.command('U0DEV', `edit REL-${id}`);
  await h.submitView('U0DEV', edit.view, planValues({ version, risk: 'high', start: new Date('2030-01-07T10:00:00Z'), title: plan.title ?? 'Checkout', description: plan.description, rollback: plan.rollback ?? 'Redeploy', evidence: 'CI green' }));
  await h.command('U0DEV', `submit REL-${id}`);
  await h.settle();
  return { id, ticket: jira.tickets.find((t) => t.fields.labels?.includes(`relm-rel-${id}`)) };
}

const show = async (id: number) => (await h.command('U0DEV', `show REL-${id}`)).reply!.text;

describe('mapped Jira fields', () => {
  it('sets each mapped field in the shape its type wants when the ticket is raised', async () => {
    const { ticket } = await submitted('2.0.0');
    expect(ticket!.fields).toMatchObject({
      customfield_10061: '2030-01-07T10:00:00.000+0000',
      // planned end = start + the waves' bakes (5 s in the fixture's two-waves model)
      customfield_10062: '2030-01-07T10:00:05.000+0000',
      customfield_10041: { value: 'High' },
    });
    expect(ticket!.fields.customfield_10070).toMatch(/^https:\/\/relm-emulated\.slack\.com\/archives\/C0PAY\/p\d+$/);
    expect(jira.calls.filter((c) => c.path === '/rest/api/3/field')).toHaveLength(1);
  });

  it('updates the dates on the ticket when the release is rescheduled', async () => {
    const { id, ticket } = await submitted('2.1.0');
    await h.command('U0DEV', `schedule REL-${id} "2030-01-08 11:00"`);
    await h.settle();
    const edits = jira.calls.filter((c) => c.method === 'PUT' && c.path === `/rest/api/3/issue/${ticket!.key}`);
    expect(edits).toHaveLength(1);
    expect(edits[0]!.body.fields).toMatchObject({ customfield_10061: '2030-01-08T11:00:00.000+0000', customfield_10062: '2030-01-08T11:00:05.000+0000' });
    expect(ticket!.fields.customfield_10061).toBe('2030-01-08T11:00:00.000+0000');
    expect(JSON.stringify(ticket!.comments)).toContain('Rescheduled');
    expect(await show(id)).toContain(`Change ticket: ${ticket!.key} (in sync)`);
  });

  it('names a mapped field the site does not have in show, and raises no half-filled ticket', async () => {
    // as if relm.yml mapped risk to an id this site has never had
    const { fields } = h.relm.ctx.settings.jira;
    fields.risk = 'customfield_99999';
    try {
      const { id, ticket } = await submitted('2.2.0');
      expect(ticket).toBeUndefined();
      expect(await show(id)).toContain('jira raise failed:* jira.fields.risk names customfield_99999, which is not a field on this Jira site');
    } finally {
      fields.risk = 'customfield_10041';
    }
  });
});

describe('doctor', () => {
  it('names mapped fields the Jira site does not have, with a fix', async () => {
    const { sink, text } = textSink();
    expect(await runDoctor({ ...h.env, RELM_CONFIG: mappedConfig('customfield_99999') }, sink)).toBe(1);
    expect(text()).toMatch(/✘ jira .*not fields on this site: jira\.fields\.risk \(customfield_99999\)/);
    expect(text()).toContain('fix: Correct jira.fields in relm.yml');
  });
});

describe('linked work items', () => {
  it('lists and links the Jira keys the plan mentions, once, and reports keys Jira does not know', async () => {
    const { id, ticket } = await submitted('3.0.0', { title: 'Checkout for ABC-1', description: 'Fixes ABC-1 and NOPE-9; follows REL-1.', rollback: 'Runbook OPS-2' });
    const description = JSON.stringify(ticket!.fields.description);
    expect(description).toContain('Linked work items');
    expect(description).toContain('NOPE-9');
    expect(description).not.toContain('"REL-1"');
    expect(jira.links.filter((l) => l.outward === ticket).map((l) => l.inward.key).sort()).toEqual(['ABC-1', 'OPS-2']);
    expect(jira.links.every((l) => l.type.name === 'Relates')).toBe(true);
    expect(await show(id)).toContain('Linked work items Jira does not know: NOPE-9');

    // The job runs again, as after a worker died before marking it done: no link is doubled.
    const raise = await h.relm.db.selectFrom('outbox').select('id').where('dedupe_key', '=', `jira:raise:${id}`).executeTakeFirstOrThrow();
    const linksBefore = jira.calls.filter((c) => c.path === '/rest/api/3/issueLink').length;
    await sql`UPDATE outbox SET state = 'sending', claimed_until = now() - interval '1 minute' WHERE id = ${raise.id}`.execute(h.relm.db);
    await h.relm.ctx.effects.dispatch([raise.id]);
    await h.settle();
    expect(jira.links.filter((l) => l.outward === ticket)).toHaveLength(2);
    // only the key Jira does not know is tried again
    expect(jira.calls.filter((c) => c.path === '/rest/api/3/issueLink').length).toBe(linksBefore + 1);
    expect(jira.tickets.filter((t) => t.fields.labels?.includes(`relm-rel-${id}`))).toHaveLength(1);
  });
});

describe('incidents caused by a release', () => {
  async function issueLinked(linkId: string, source: string, destination: string, delivery = `delivery-${linkId}`) {
    return jiraEvent({ webhookEvent: 'issuelink_created', issueLink: { id: Number(linkId), sourceIssueId: Number(source), destinationIssueId: Number(destination), issueLinkType: { id: 10000, name: 'Blocks', outwardName: 'blocks', inwardName: 'is blocked by', isSubTaskLinkType: false, isSystemLinkType: false } } }, delivery);
  }

  async function jiraEvent(event: Record<string, unknown>, delivery: string) {
    const { createHmac } = await import('node:crypto');
    const body = JSON.stringify({ timestamp: Date.now(), ...event });
    const res = await fetch(`${h.baseUrl}/webhooks/jira`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-atlassian-webhook-identifier': delivery, 'x-hub-signature': `sha256=${createHmac('sha256', 'jira-hook-secret').update(body).digest('hex')}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('records `incident REL-n <text>` once, and shows it', async () => {
    const { id } = await submitted('4.0.0');
    const first = await h.command('U0OPS', `incident REL-${id} checkout <errors> in eu-1`);
    expect(first.reply!.text).toContain(`Recorded an incident caused by *REL-${id}*: checkout &lt;errors&gt; in eu-1`);
    const again = await h.command('U0OPS', `incident REL-${id} checkout <errors> in eu-1`);
    expect(again.reply!.text).toContain('already recorded');
    await h.settle();
    const text = await show(id);
    expect(text).toContain('*Incidents caused by this release:* 1 (checkout &lt;errors&gt; in eu-1)');
    expect(text).toContain('<@U0OPS> recorded an incident caused by this release');
  });

  it('counts an Incident-type issue linked to the change ticket in Jira, once; a Story does not count', async () => {
    const { id, ticket } = await submitted('4.1.0');
    const incident = jira.addIssue('INC-7', 'Incident');
    const story = jira.addIssue('ABC-3', 'Story');
    expect((await issueLinked('20001', incident.id, ticket!.id)).body).toEqual({ release: id, queued: true });
    expect((await issueLinked('20002', ticket!.id, story.id)).body).toEqual({ release: id, queued: true });
    await h.settle();
    // a redelivery, and the same link under a new delivery id, change nothing
    expect((await issueLinked('20001', incident.id, ticket!.id)).body).toEqual({ duplicate: true });
    expect((await issueLinked('20001', incident.id, ticket!.id, 'another-delivery')).body).toEqual({ release: id, queued: false });
    expect((await issueLinked('20003', incident.id, '1')).body).toEqual({ ignored: 'neither issue is a relm change ticket' });
    await h.settle();
    const text = await show(id);
    expect(text).toContain('*Incidents caused by this release:* 1 (INC-7)');
    expect(text).toContain('Incident INC-7 was linked to the change ticket in Jira');
    expect(jira.calls.filter((c) => c.method === 'GET' && c.path === `/rest/api/3/issue/${incident.id}`)).toHaveLength(1);
  });

  it('stops counting the incident when its link to the change ticket is deleted in Jira', async () => {
    const { id, ticket } = await submitted('4.2.0');
    const incident = jira.addIssue('INC-8', 'Incident');
    await issueLinked('20011', incident.id, ticket!.id);
    await h.settle();
    expect(await show(id)).toContain('*Incidents caused by this release:* 1 (INC-8)');
    const unlinked = (linkId: string, delivery = `deleted-${linkId}`) => jiraEvent({ webhookEvent: 'issuelink_deleted', issueLink: { id: Number(linkId), sourceIssueId: Number(incident.id), destinationIssueId: Number(ticket!.id) } }, delivery);
    expect((await unlinked('20011')).body).toEqual({ release: id, removed: 'INC-8' });
    expect((await unlinked('20011')).body).toEqual({ duplicate: true });
    expect((await unlinked('20099')).body).toEqual({ ignored: 'not a link that made an incident' });
    const text = await show(id);
    expect(text).not.toContain('*Incidents caused by this release:*');
    expect(text).toContain('INC-8 is no longer linked to the change ticket in Jira');
  });
});
