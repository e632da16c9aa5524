import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { FakeJira } from '../support/fake-jira.ts';
import { FakeGitHub } from '../support/fake-github.ts';
import { findApprovalRequests, findCard, planValues } from '../support/slack-views.ts';

// A small schedule, so an outage outlasts it in seconds: 3 attempts, 100 ms then 200 ms apart.
const RETRY = { attempts: 3, firstDelayMs: 100, maxDelayMs: 400 };
/** Kinds whose effect is one Slack post carrying its outbox key as message metadata. */
const POSTS = ['thread_note', 'approval_request', 'announce'];

/** How often the relay logged each outbox id as re-queued after its job's retries ran out. */
function revivals(h: Harness): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of h.logs) {
    if (!line.includes('retries ran out')) continue;
    for (const id of (JSON.parse(line) as { outboxIds?: number[] }).outboxIds ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function rowsOf(h: Harness, releaseId: number) {
  return h.relm.db.selectFrom('outbox').selectAll().where('release_id', '=', releaseId).orderBy('id').execute();
}

/**
 * Holds the outage until the job of each undone effect of `kinds` of the release has run out of retries
 * and been re-queued `rounds` times: the outage outlasts the whole retry schedule, that many times over.
 */
async function outlastRetries(h: Harness, releaseId: number, kinds: string[], rounds = 1): Promise<void> {
  await waitFor(async () => {
    const undone = (await rowsOf(h, releaseId)).filter((r) => kinds.includes(r.kind) && r.state !== 'done');
    const revived = revivals(h);
    return kinds.every((kind) => undone.some((r) => r.kind === kind)) && undone.every((r) => r.state === 'sending' && (revived.get(r.id) ?? 0) >= rounds);
  }, `the ${kinds.join(', ')} effects of REL-${releaseId} to run out of retries and be re-queued`, 60_000);
}

async function planned(h: Harness, version: string, options: { edit?: boolean } = {}): Promise<number> {
  const res = await h.command('U0DEV', `new payments ${version} --type patch`);
  const id = Number(/REL-(\d+)/.exec(res.reply!.text)![1]);
  if (options.edit) {
    const edit = await h.command('U0DEV', `edit REL-${id}`);
    await h.submitView('U0DEV', edit.view, planValues({ version, type: 'patch', title: `Payments ${version}`, rollback: 'Redeploy the previous image', evidence: 'CI run green' }));
  }
  return id;
}

/** Every posting effect of the releases is done and in Slack exactly once, found by its key. */
async function expectEachPostOnce(h: Harness, releaseIds: number[]): Promise<void> {
  for (const id of releaseIds) {
    const rows = await rowsOf(h, id);
    expect(rows.filter((r) => r.state !== 'done').map((r) => `${r.kind} ${r.state}: ${r.last_error}`)).toEqual([]);
    expect(h.slack.messages.filter((m) => m.metadata?.event_payload?.key === `card:${id}`)).toHaveLength(1);
    for (const row of rows.filter((r) => POSTS.includes(r.kind))) {
      expect(h.slack.messages.filter((m) => m.metadata?.event_payload?.key === row.dedupe_key), row.dedupe_key).toHaveLength(1);
    }
  }
}

describe('a Slack outage longer than the retry schedule', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ store: 'postgres', effectRetry: RETRY });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('posts every card, thread note and approval request once when Slack is back', async () => {
    const submitted = await planned(h, '2.0.1', { edit: true });
    await h.settle();
    const before = findCard(h.slack, 'C0PAY', submitted)!;
    const notesBefore = h.slack.thread('C0PAY', before.ts).length;

    h.slack.outage({ status: 503 });
    const fresh = await planned(h, '2.1.0');
    expect((await h.command('U0DEV', `submit REL-${submitted}`)).reply!.text).not.toMatch(/went wrong/i);
    await outlastRetries(h, fresh, ['card'], 2);
    await outlastRetries(h, submitted, ['approval_request', 'thread_note'], 2);
    expect(findCard(h.slack, 'C0PAY', fresh)).toBeUndefined();
    expect(findApprovalRequests(h.slack, 'C0PAY', submitted)).toHaveLength(0);
    h.slack.recover();

    await h.settle(30_000);
    await expectEachPostOnce(h, [submitted, fresh]);
    expect(findCard(h.slack, 'C0PAY', fresh)).toBeDefined();
    expect(findApprovalRequests(h.slack, 'C0PAY', submitted)).toHaveLength(1);
    expect(h.slack.thread('C0PAY', before.ts).length).toBeGreaterThan(notesBefore);
    const card = findCard(h.slack, 'C0PAY', submitted)!;
    expect(JSON.stringify(card.blocks)).toContain('Awaiting approval');
  }, 90_000);
});

describe('Jira and GitHub outages longer than the retry schedule', () => {
  let h: Harness;
  let jira: FakeJira;
  let github: FakeGitHub;

  beforeAll(async () => {
    jira = await new FakeJira().start();
    github = await new FakeGitHub().start();
    h = await startHarness({
      store: 'postgres',
      effectRetry: RETRY,
      httpRetryBaseMs: 20,
      env: { JIRA_HOST: jira.url, JIRA_EMAIL: 'relm@example.com', JIRA_API_TOKEN: 'jira-api-token-123', GITHUB_TOKEN: 'ghp_test_token_0123456789', GITHUB_API_URL: `${github.url}/`, RELM_HTTP_TIMEOUT_MS: '800' },
    });
  });

  afterAll(async () => {
    await h?.stop();
    await jira?.stop();
    await github?.stop();
  });

  it('raises, moves and comments on the change ticket and drafts the GitHub release once each when they are back', async () => {
    const id = await planned(h, '3.0.1', { edit: true });
    await h.settle();

    jira.outage = 503;
    github.outage = 503;
    await h.command('U0DEV', `submit REL-${id}`);
    expect((await h.command('U0APP1', `approve REL-${id}`)).reply!.text).not.toMatch(/went wrong/i);
    await outlastRetries(h, id, ['jira_raise', 'github_draft']);
    expect(jira.tickets).toHaveLength(0);
    expect(github.releases).toHaveLength(0);
    jira.outage = undefined;
    github.outage = undefined;

    await h.settle(30_000);
    const rows = await rowsOf(h, id);
    expect(rows.filter((r) => r.state !== 'done').map((r) => `${r.kind} ${r.state}: ${r.last_error}`)).toEqual([]);
    const tickets = jira.tickets.filter((t) => t.fields.labels?.includes(`relm-rel-${id}`));
    expect(tickets).toHaveLength(1);
    expect(tickets[0]!.status).toBe('Approved');
    expect(tickets[0]!.comments.filter((c) => JSON.stringify(c.body).includes('Approved by Slack user'))).toHaveLength(1);
    expect(github.releases.filter((r) => r.tag_name === 'v3.0.1')).toHaveLength(1);
    expect(github.releases[0]).toMatchObject({ draft: true });
    const show = await h.command('U0DEV', `show REL-${id}`);
    expect(show.reply!.text).toContain(`Change ticket: ${tickets[0]!.key} (in sync)`);
    expect(show.reply!.text).not.toMatch(/failed/);
  }, 90_000);
});
