import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { FakeJira } from '../support/fake-jira.ts';
import { clockFrom } from '../support/clock.ts';

// Time to restore needs incidents to end: by `/release incident resolve REL-n <ref>`, or when the Jira
// issue of an incident is done. relm's clock is a Monday in November 2026, whatever today is.
const START = '2026-11-16T09:00:00Z';
const H = 3_600_000;

describe.each(['postgres', 'pglite'] as const)('resolving the incidents a release caused, on %s', (store) => {
  let h: Harness;
  let jira: FakeJira;
  const clock = clockFrom(START);

  beforeAll(async () => {
    jira = await new FakeJira().start();
    h = await startHarness({ store, clock, env: { JIRA_HOST: jira.url, JIRA_EMAIL: 'relm@example.com', JIRA_API_TOKEN: 'jira-api-token-123', JIRA_WEBHOOK_SECRET: 'jira-hook-secret' } });
  });

  afterAll(async () => {
    await h?.stop();
    await jira?.stop();
  });

  async function submitted(version: string): Promise<{ id: number; ticket: FakeJira['tickets'][number] }> {
    const planned = await h.command('U0DEV', `new payments ${version} --at "2026-11-18 10:00" --rollback "Redeploy" --tests "CI green" --training no`);
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    const submit = await h.command('U0DEV', `submit REL-${id}`);
    expect(submit.reply!.text).not.toMatch(/cannot|needs/i);
    await h.settle();
    return { id, ticket: jira.tickets.find((t) => t.fields.labels?.includes(`relm-rel-${id}`))! };
  }

  async function jiraEvent(event: Record<string, unknown>, delivery: string) {
    const body = JSON.stringify({ timestamp: clock().getTime(), ...event });
    const res = await fetch(`${h.baseUrl}/webhooks/jira`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-atlassian-webhook-identifier': delivery, 'x-hub-signature': `sha256=${createHmac('sha256', 'jira-hook-secret').update(body).digest('hex')}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** `jira:issue_updated` as Jira Cloud sends it when an issue moves to a status of the done category. */
  const issueDone = (issue: { id: string; key: string }, resolutiondate: Date | null, category = 'done') => ({
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_generic',
    user: { displayName: 'Ops Person' },
    issue: {
      id: issue.id,
      key: issue.key,
      fields: {
        issuetype: { name: 'Incident' },
        status: { name: category === 'done' ? 'Closed' : 'In Progress', statusCategory: { id: category === 'done' ? 3 : 4, key: category, name: category === 'done' ? 'Done' : 'In Progress' } },
        resolution: resolutiondate ? { id: '10000', name: 'Fixed' } : null,
        resolutiondate: resolutiondate ? resolutiondate.toISOString().replace('Z', '+0000') : null,
      },
    },
    changelog: { id: '1', items: [{ field: 'status', fieldtype: 'jira', from: '3', fromString: 'In Progress', to: '10001', toString: category === 'done' ? 'Closed' : 'In Progress' }] },
  });

  const incidentRow = (releaseId: number, ref: string) => h.relm.db.selectFrom('incidents').select(['recorded_at', 'resolved_at']).where('release_id', '=', releaseId).where('ref', '=', ref).executeTakeFirstOrThrow();
  const resolvedEntries = (releaseId: number) => h.relm.db.selectFrom('audit_log').select(['actor', 'after']).where('release_id', '=', releaseId).where('action', '=', 'incident_resolved').execute();

  it('resolves a recorded incident by command once, audited, and says how long it took', async () => {
    const { id } = await submitted('1.0.0');
    await h.command('U0OPS', `incident REL-${id} checkout <errors> in eu-1`);
    const first = await h.command('U0OPS', `incident resolve REL-${id} CHECKOUT <errors> in EU-1`);
    expect(first.reply!.text).toMatch(new RegExp(`^:white_check_mark: Resolved the incident of \\*REL-${id}\\*: checkout &lt;errors&gt; in eu-1, \\d+ min after it was recorded\\.$`));
    const row = await incidentRow(id, 'checkout <errors> in eu-1');
    expect(row.resolved_at).not.toBeNull();
    expect(row.resolved_at!.getTime()).toBeGreaterThanOrEqual(row.recorded_at.getTime());

    const again = await h.command('U0OPS', `incident resolve REL-${id} checkout <errors> in eu-1`);
    expect(again.reply!.text).toContain(`That incident of *REL-${id}* was resolved already`);
    expect((await incidentRow(id, 'checkout <errors> in eu-1')).resolved_at).toEqual(row.resolved_at);
    const entries = await resolvedEntries(id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: 'U0OPS', after: { ref: 'checkout <errors> in eu-1', source: 'slack' } });

    await h.settle();
    const show = (await h.command('U0DEV', `show REL-${id}`)).reply!.text;
    expect(show).toContain('*Incidents caused by this release:* 1 (checkout &lt;errors&gt; in eu-1 _resolved_)');
    expect(show).toMatch(/<@U0OPS> resolved the incident "checkout &lt;errors&gt; in eu-1", \d+ min after it was recorded/);
    // `incident REL-n <ref>` still records, as it always has.
    expect((await h.command('U0OPS', `incident REL-${id} resolve timeouts`)).reply!.text).toContain(`Recorded an incident caused by *REL-${id}*: resolve timeouts`);
  });

  it('refuses an incident the release does not have, naming the ones it has, and changes nothing', async () => {
    const { id } = await submitted('1.1.0');
    const none = await h.command('U0OPS', `incident resolve REL-${id} INC-404`);
    expect(none.reply!.text).toBe(`:warning: REL-${id} has no incident "INC-404". It has none; \`/release incident REL-${id} INC-42\` records one.`);
    await h.command('U0OPS', `incident REL-${id} INC-41`);
    const other = await h.command('U0OPS', `incident resolve REL-${id} INC-404`);
    expect(other.reply!.text).toBe(`:warning: REL-${id} has no incident "INC-404". Its incidents: "INC-41".`);
    expect((await h.command('U0OPS', 'incident resolve REL-99999 INC-41')).reply!.text).toContain('REL-99999 does not exist');
    expect((await h.command('U0OPS', `incident resolve REL-${id}`)).reply!.text).toContain('`incident resolve` needs the incident');
    expect(await resolvedEntries(id)).toEqual([]);
    expect((await incidentRow(id, 'INC-41')).resolved_at).toBeNull();
  });

  it('resolves an incident linked from Jira when its issue is done there, at Jira’s resolution time, once', async () => {
    const { id, ticket } = await submitted('1.2.0');
    const incident = jira.addIssue('INC-77', 'Incident');
    const link = { webhookEvent: 'issuelink_created', issueLink: { id: 30001, sourceIssueId: Number(incident.id), destinationIssueId: Number(ticket.id), issueLinkType: { id: 10000, name: 'Blocks' } } };
    expect((await jiraEvent(link, `link-${store}`)).body).toEqual({ release: id, queued: true });
    await h.settle();
    // As if Jira had linked it two hours ago, so that Jira's resolution time below is in relm's past.
    await h.relm.db.updateTable('incidents').set({ recorded_at: new Date(clock().getTime() - 2 * H) }).where('release_id', '=', id).where('ref', '=', 'INC-77').execute();
    const { recorded_at } = await incidentRow(id, 'INC-77');

    // Still in progress in Jira: nothing is resolved.
    const working = await jiraEvent(issueDone(incident, null, 'indeterminate'), `progress-${store}`);
    expect(working).toEqual({ status: 202, body: { ignored: 'INC-77 is not a relm change ticket' } });
    expect((await incidentRow(id, 'INC-77')).resolved_at).toBeNull();

    const fixedAt = new Date(recorded_at.getTime() + 90 * 60_000);
    const done = await jiraEvent(issueDone(incident, fixedAt), `done-${store}`);
    expect(done).toEqual({ status: 200, body: { resolved: [{ release: id, ref: 'INC-77' }] } });
    expect((await incidentRow(id, 'INC-77')).resolved_at).toEqual(fixedAt);
    // The same delivery again, and a later update of the closed issue, change nothing.
    expect((await jiraEvent(issueDone(incident, fixedAt), `done-${store}`)).body).toEqual({ duplicate: true });
    expect(await jiraEvent(issueDone(incident, new Date(fixedAt.getTime() + H)), `comment-${store}`)).toEqual({ status: 202, body: { ignored: 'INC-77 is not a relm change ticket nor an open incident' } });
    expect((await incidentRow(id, 'INC-77')).resolved_at).toEqual(fixedAt);
    const entries = await resolvedEntries(id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: 'jira', after: { ref: 'INC-77', source: 'jira', resolvedAt: fixedAt.toISOString() } });
    await h.settle();
    expect((await h.command('U0DEV', `show REL-${id}`)).reply!.text).toContain('Incident INC-77 was resolved in Jira, 1.5 h after it was recorded.');
  });

  it('resolves a Jira key recorded by hand, in any case, never before it was recorded nor after relm’s now', async () => {
    const { id } = await submitted('1.3.0');
    const issue = jira.addIssue('INC-88', 'Incident');
    await h.command('U0OPS', `incident REL-${id} inc-88`);
    const { recorded_at } = await incidentRow(id, 'inc-88');
    // Resolved in Jira before relm heard of it: it took no time after it was recorded.
    const done = await jiraEvent(issueDone(issue, new Date(recorded_at.getTime() - 5 * H)), `early-${store}`);
    expect(done.body).toEqual({ resolved: [{ release: id, ref: 'inc-88' }] });
    expect((await incidentRow(id, 'inc-88')).resolved_at).toEqual(recorded_at);

    const later = jira.addIssue('INC-89', 'Incident');
    await h.command('U0OPS', `incident REL-${id} INC-89`);
    const before = clock().getTime();
    await jiraEvent(issueDone(later, new Date(before + 24 * H)), `future-${store}`);
    const resolved = (await incidentRow(id, 'INC-89')).resolved_at!.getTime();
    expect(resolved).toBeGreaterThanOrEqual(before);
    expect(resolved).toBeLessThanOrEqual(clock().getTime());
  });

  /** `jira:issue_updated` when a reopen transition moves a closed issue back and clears its resolution. */
  const issueReopened = (issue: { id: string; key: string }) => ({
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_reopened',
    user: { displayName: 'Ops Person' },
    issue: {
      id: issue.id,
      key: issue.key,
      fields: { issuetype: { name: 'Incident' }, status: { name: 'Reopened', statusCategory: { id: 2, key: 'new', name: 'To Do' } }, resolution: null, resolutiondate: null },
    },
    changelog: {
      id: '2',
      items: [
        { field: 'resolution', fieldtype: 'jira', from: '10000', fromString: 'Fixed', to: null, toString: null },
        { field: 'status', fieldtype: 'jira', from: '10001', fromString: 'Closed', to: '4', toString: 'Reopened' },
      ],
    },
  });

  it('opens an incident again when Jira reopens its issue, so its time to restore runs to the next resolution', async () => {
    const { id } = await submitted('1.4.0');
    const issue = jira.addIssue('INC-90', 'Incident');
    await h.command('U0OPS', `incident REL-${id} INC-90`);
    await h.relm.db.updateTable('incidents').set({ recorded_at: new Date(clock().getTime() - 3 * H) }).where('release_id', '=', id).execute();
    const { recorded_at } = await incidentRow(id, 'INC-90');
    const firstFix = new Date(recorded_at.getTime() + H);
    expect((await jiraEvent(issueDone(issue, firstFix), `fix1-${store}`)).body).toEqual({ resolved: [{ release: id, ref: 'INC-90' }] });

    // A later edit of the closed issue that clears nothing, and a status change while open, reopen nothing.
    const edit = { ...issueReopened(issue), changelog: { id: '3', items: [{ field: 'summary', fieldtype: 'jira', from: null, fromString: 'Checkout', to: null, toString: 'Checkout errors' }] } };
    expect((await jiraEvent(edit, `edit-${store}`)).status).toBe(202);
    expect((await incidentRow(id, 'INC-90')).resolved_at).toEqual(firstFix);

    const reopened = await jiraEvent(issueReopened(issue), `reopen-${store}`);
    expect(reopened).toEqual({ status: 200, body: { reopened: [{ release: id, ref: 'INC-90' }] } });
    expect((await incidentRow(id, 'INC-90')).resolved_at).toBeNull();
    // The same delivery again changes nothing; a second reopen of an open incident is not one.
    expect((await jiraEvent(issueReopened(issue), `reopen-${store}`)).body).toEqual({ duplicate: true });
    expect(await jiraEvent(issueReopened(issue), `reopen-again-${store}`)).toEqual({ status: 202, body: { ignored: 'INC-90 is not a relm change ticket nor a resolved incident' } });
    await h.settle();
    const show = (await h.command('U0DEV', `show REL-${id}`)).reply!.text;
    expect(show).toContain('Incident INC-90 was reopened in Jira: it is open again');
    expect(show).not.toContain('INC-90 _resolved_');

    // Resolved for good two hours later: the time to restore runs from the recording to then.
    const secondFix = new Date(recorded_at.getTime() + 2 * H);
    expect((await jiraEvent(issueDone(issue, secondFix), `fix2-${store}`)).body).toEqual({ resolved: [{ release: id, ref: 'INC-90' }] });
    expect((await incidentRow(id, 'INC-90')).resolved_at).toEqual(secondFix);
    const actions = await h.relm.db.selectFrom('audit_log').select('action').where('release_id', '=', id).where('action', 'like', 'incident_%').orderBy('seq').execute();
    expect(actions.map((a) => a.action)).toEqual(['incident_recorded', 'incident_resolved', 'incident_reopened', 'incident_resolved']);
  });

  it('takes Jira’s events in Jira’s order, not in the order they arrive: a late resolve or reopen changes nothing', async () => {
    const { id } = await submitted('1.5.0');
    const issue = jira.addIssue('INC-91', 'Incident');
    await h.command('U0OPS', `incident REL-${id} INC-91`);
    await h.relm.db.updateTable('incidents').set({ recorded_at: new Date(clock().getTime() - 4 * H) }).where('release_id', '=', id).execute();
    const { recorded_at } = await incidentRow(id, 'INC-91');
    const t = (hours: number) => new Date(recorded_at.getTime() + hours * H);

    // In Jira: resolved at +1 h, reopened at +2 h, resolved for good at +3 h. The first resolve's
    // delivery failed and Jira retries it only after the reopen went through.
    const reopen = await jiraEvent({ ...issueReopened(issue), timestamp: t(2).getTime() }, `order-reopen-${store}`);
    expect(reopen).toEqual({ status: 202, body: { ignored: 'INC-91 is not a relm change ticket nor a resolved incident' } });
    const lateResolve = await jiraEvent({ ...issueDone(issue, t(1)), timestamp: t(1).getTime() }, `order-fix1-${store}`);
    expect(lateResolve).toEqual({ status: 202, body: { ignored: `INC-91: this Jira event (${t(1).toISOString()}) is older than the newest relm took for the incident (${t(2).toISOString()}), so it changes nothing` } });
    expect((await incidentRow(id, 'INC-91')).resolved_at).toBeNull();

    const finalFix = await jiraEvent({ ...issueDone(issue, t(3)), timestamp: t(3).getTime() }, `order-fix2-${store}`);
    expect(finalFix.body).toEqual({ resolved: [{ release: id, ref: 'INC-91' }] });
    // A reopen older than that resolution, delivered after it, leaves the incident resolved.
    const lateReopen = await jiraEvent({ ...issueReopened(issue), timestamp: t(2.5).getTime() }, `order-reopen-late-${store}`);
    expect(lateReopen.status).toBe(202);
    expect(lateReopen.body.ignored).toContain('is older than the newest relm took');
    expect((await incidentRow(id, 'INC-91')).resolved_at).toEqual(t(3));
    const actions = await h.relm.db.selectFrom('audit_log').select('action').where('release_id', '=', id).where('action', 'like', 'incident_%').orderBy('seq').execute();
    expect(actions.map((a) => a.action)).toEqual(['incident_recorded', 'incident_resolved']);
  });
});
