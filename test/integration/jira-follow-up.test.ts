import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira } from '../support/fake-jira.ts';
import { createJiraTracker } from '../../src/integrations/jira/create-jira-tracker.ts';
import { ChangeTrackerRejectedError } from '../../src/core/ports/change-tracker.ts';

let jira: FakeJira;

beforeAll(async () => {
  jira = await new FakeJira().start();
});

afterAll(async () => {
  await jira?.stop();
});

describe.each([
  { deployment: 'cloud' as const, api: '3' },
  { deployment: 'datacenter' as const, api: '2' },
])('an issue raised with a link to the change ticket on Jira $deployment', ({ deployment, api }) => {
  const tracker = () => createJiraTracker(deployment === 'cloud' ? { deployment, host: jira.url, email: 'relm@example.com', token: 't' } : { deployment, host: jira.url, token: 't' }, { retryBaseMs: 5 });

  it('is created linked in one call (update.issuelinks), and found by its label instead of raised again', async () => {
    const change = jira.addIssue(`CHG${api}-1`, 'Change');
    const ticket = { project: 'OPS', issueType: 'Task', summary: `Update the runbook (${deployment})`, sections: [{ heading: 'Follow-up action', text: 'Update the runbook' }], correlation: `relm-rel-1-follow-up-${deployment}`, links: [{ type: 'Relates', key: change.key }] };
    const first = await tracker().raise(ticket);
    expect(first.created).toBe(true);
    const create = jira.calls.filter((c) => c.method === 'POST' && c.path === `/rest/api/${api}/issue`).at(-1)!;
    expect(create.body.update).toEqual({ issuelinks: [{ add: { type: { name: 'Relates' }, outwardIssue: { key: change.key } } }] });
    expect(jira.linksOf(change.key)).toEqual([{ type: 'Relates', key: first.key }]);
    const again = await tracker().raise(ticket);
    expect(again).toEqual({ key: first.key, id: first.id, created: false });
    // The link is there already: linking again is skipped, never doubled.
    expect(await tracker().link(change.key, [first.key], 'Relates')).toEqual({ linked: [], already: [first.key], missing: [] });
    expect(jira.linksOf(change.key)).toHaveLength(1);
  });

  it('is refused, and not created, when the issue to link to does not exist', async () => {
    const before = jira.tickets.length;
    const raise = tracker().raise({ project: 'OPS', issueType: 'Task', summary: 'Orphan', sections: [], correlation: `relm-orphan-${deployment}`, links: [{ type: 'Relates', key: 'NOPE-9' }] });
    await expect(raise).rejects.toBeInstanceOf(ChangeTrackerRejectedError);
    expect(jira.tickets.length).toBe(before);
  });
});
