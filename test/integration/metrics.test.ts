import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { FakeJira } from '../support/fake-jira.ts';
import { FakeGitHub } from '../support/fake-github.ts';
import { findCard, planValues } from '../support/slack-views.ts';
import { effectsQueueName } from '../../src/jobs/effects-queue.ts';

let h: Harness;
let jira: FakeJira;
let github: FakeGitHub;

beforeAll(async () => {
  jira = await new FakeJira().start();
  github = await new FakeGitHub().start();
  h = await startHarness({
    store: 'postgres',
    env: { JIRA_HOST: jira.url, JIRA_EMAIL: 'relm@example.com', JIRA_API_TOKEN: 'jira-api-token-123', JIRA_WEBHOOK_SECRET: 'jira-hook-secret', GITHUB_TOKEN: 'ghp_test_token_0123456789', GITHUB_API_URL: `${github.url}/`, RELM_HTTP_TIMEOUT_MS: '800' },
    httpRetryBaseMs: 10,
  });
});

afterAll(async () => {
  await h?.stop();
  await jira?.stop();
  await github?.stop();
});

/** One scrape, as `name{labels} value` lines keyed by everything before the value. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${h.baseUrl}/metrics`);
  expect(res.status).toBe(200);
  const series = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

function sum(series: Map<string, number>, name: string, ...having: string[]): number {
  let total = 0;
  for (const [key, value] of series) if ((key === name || key.startsWith(`${name}{`)) && having.every((h) => key.includes(h))) total += value;
  return total;
}

describe('/metrics', () => {
  it('has the series operators alert on, and they move with the work', async () => {
    const before = await scrape();
    const effects = effectsQueueName(h.relm.installationId);
    for (const state of ['waiting', 'active', 'delayed', 'failed']) expect(before.has(`relm_queue_jobs{queue="${effects}",state="${state}"}`)).toBe(true);
    expect(before.has(`relm_queue_jobs{queue="rollout-${h.relm.installationId}",state="delayed"}`)).toBe(true);
    expect(before.get('relm_outbox_pending{deferred="false"}')).toBe(0);

    // Slack answers the card's post with a 429 once; Jira answers the ticket's creation with a 503 once.
    h.slack.inject('chat.postMessage', { status: 429, retryAfterSeconds: 2 });
    jira.faults.push({ status: 503, method: 'POST', path: /\/rest\/api\/3\/issue$/ });
    const planned = await h.command('U0DEV', 'new payments 8.0.0 --title "Metrics"');
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    // Written, not done yet: the outbox has rows pending while the post waits out its Retry-After.
    const pending = await scrape();
    expect(sum(pending, 'relm_outbox_pending')).toBeGreaterThan(0);
    await waitFor(() => findCard(h.slack, 'C0PAY', id), 'the card', 20_000);
    const edit = await h.command('U0DEV', `edit REL-${id}`);
    await h.submitView('U0DEV', edit.view, planValues({ version: '8.0.0', title: 'Metrics', rollback: 'Redeploy', evidence: 'CI green' }));
    await h.command('U0DEV', `submit REL-${id}`);
    await waitFor(() => jira.tickets.length > 0, 'the change ticket', 20_000);
    await h.command('U0APP1', `approve REL-${id}`);
    await h.command('U0APP2', `approve REL-${id}`);
    await h.settle(30_000);

    const after = await scrape();
    expect(sum(after, 'relm_slack_rate_limited_total', 'method="chat.postMessage"')).toBeGreaterThanOrEqual(1);
    expect(sum(after, 'relm_slack_retry_after_seconds_sum', 'method="chat.postMessage"')).toBeGreaterThanOrEqual(2);
    expect(sum(after, 'relm_external_call_seconds_count', 'system="jira"', 'route="createIssue"', 'outcome="ok"')).toBeGreaterThanOrEqual(1);
    expect(sum(after, 'relm_external_call_errors_total', 'system="jira"', 'route="createIssue"', 'status="503"')).toBeGreaterThanOrEqual(1);
    expect(sum(after, 'relm_external_call_seconds_count', 'system="github"')).toBeGreaterThanOrEqual(1);
    expect([...after.keys()].some((k) => k.startsWith('relm_external_call_seconds_count{system="github",route="GET /repos/{owner}/{repo}/releases"'))).toBe(true);
    expect(sum(after, 'relm_effect_lag_seconds_count', 'kind="card"')).toBeGreaterThanOrEqual(1);
    expect(sum(after, 'relm_effect_lag_seconds_count')).toBeGreaterThan(sum(before, 'relm_effect_lag_seconds_count'));
    expect(after.get('relm_outbox_pending{deferred="false"}')).toBe(0);
  }, 90_000);
});
