import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { FakeJira } from '../support/fake-jira.ts';

// The bundle's own ticket in Jira lists its members' changes, in order, and links their change tickets.
let h: Harness;
let jira: FakeJira;

beforeAll(async () => {
  jira = await new FakeJira().start();
  h = await startHarness({ store: 'postgres', env: { JIRA_HOST: jira.url, JIRA_EMAIL: 'relm@example.com', JIRA_API_TOKEN: 'jira-api-token-123', JIRA_WEBHOOK_SECRET: 'jira-hook-secret' } });
});

afterAll(async () => {
  await h?.stop();
  await jira?.stop();
});

const idOf = (text: string, prefix = 'REL') => Number(new RegExp(`${prefix}-(\\d+)`).exec(text)![1]);

describe('a bundle in Jira', () => {
  it('raises one bundle ticket at approval, listing every member in run order with its change ticket, and links them', async () => {
    const payments = idOf((await h.command('U0DEV', 'new payments 3.1.1 --type patch --title "Refunds <fix>" --rollback "Redeploy 3.1.0" --tests "CI green"', { channel: 'C0PAY' })).reply!.text);
    const search = idOf((await h.command('U0DEV', 'new search 7.0.1 --type patch --title "Reindex" --rollback "Redeploy 7.0.0" --tests "CI green"', { channel: 'C0SEARCH' })).reply!.text);
    const bundle = idOf((await h.command('U0DEV', 'bundle new "Refunds train"', { channel: 'C0PAY' })).reply!.text, 'BUN');
    await h.command('U0DEV', `bundle add BUN-${bundle} REL-${search} REL-${payments}`, { channel: 'C0PAY' });
    await h.command('U0DEV', `bundle order BUN-${bundle} REL-${search} --after REL-${payments}`, { channel: 'C0PAY' });
    expect((await h.command('U0APP1', `bundle approve BUN-${bundle}`, { channel: 'C0PAY' })).reply!.text).toContain('Approved');

    const ticket = await waitFor(() => jira.tickets.find((t) => t.fields.labels?.includes(`relm-bun-${bundle}`)), 'the bundle ticket', 15_000);
    await h.settle();
    const change = jira.tickets.find((t) => t.fields.labels?.includes(`relm-rel-${payments}`))!;
    expect(ticket.fields.summary).toBe(`BUN-${bundle}: Refunds train (2 changes)`);
    const description = JSON.stringify(ticket.fields.description);
    // In run order: payments first (search was moved after it), each with what it changes.
    expect(description).toMatch(new RegExp(`1\\. REL-${payments} Payments API 3\\.1\\.1 \\(patch, risk [a-z]+\\), change ticket ${change.key}: Refunds <fix>.*2\\. REL-${search} Search 7\\.0\\.1`));
    expect(jira.linksOf(ticket.key).map((l) => l.key)).toEqual([change.key]);
    expect(jira.tickets.filter((t) => t.fields.labels?.includes(`relm-bun-${bundle}`))).toHaveLength(1);
    const stored = await h.relm.db.selectFrom('bundles').select('jira_key').where('id', '=', bundle).executeTakeFirstOrThrow();
    expect(stored.jira_key).toBe(ticket.key);
  });

  it('refuses a Slack approval of the bundle for a member whose policy approves in Jira, and records nothing', async () => {
    const ledger = idOf((await h.command('U0DEV', 'new ledger 4.0.0 --type minor --rollback "Redeploy 3.9" --tests "CI green"', { channel: 'C0LEDG' })).reply!.text);
    const bundle = idOf((await h.command('U0DEV', 'bundle new "Jira-approved"', { channel: 'C0LEDG' })).reply!.text, 'BUN');
    await h.command('U0DEV', `bundle add BUN-${bundle} REL-${ledger}`, { channel: 'C0LEDG' });
    const refused = (await h.command('U0APP1', `bundle approve BUN-${bundle}`, { channel: 'C0LEDG' })).reply!.text;
    expect(refused).toContain(`REL-${ledger}'s policy takes its approval from Jira (approval_source: jira)`);
    expect(await h.relm.db.selectFrom('bundle_approvals').selectAll().where('bundle_id', '=', bundle).execute()).toEqual([]);
    expect((await h.relm.db.selectFrom('releases').select('state').where('id', '=', ledger).executeTakeFirstOrThrow()).state).toBe('draft');
  });
});
