import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';

const SECRET = 'github-webhook-secret-for-tests';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ store: 'pglite', env: { GITHUB_WEBHOOK_SECRET: SECRET } });
});

afterAll(async () => {
  await h?.stop();
});

/** Delivers a GitHub webhook the way GitHub does: JSON body, X-Hub-Signature-256, a delivery id. */
async function deliver(event: string, payload: unknown, options: { delivery?: string; secret?: string } = {}) {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', options.secret ?? SECRET).update(body).digest('hex')}`;
  const res = await fetch(`${h.baseUrl}/webhooks/github`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': options.delivery ?? randomUUID(), 'x-hub-signature-256': signature, 'user-agent': 'GitHub-Hookshot/test' },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function deploymentStatus(environment: string, version: string) {
  return {
    action: 'created',
    deployment_status: { id: 1, state: 'success', environment, target_url: 'https://ci.example.com/run/1' },
    deployment: { id: 7, ref: `v${version}`, sha: 'abc123', environment, payload: {}, url: 'https://api.github.com/repos/acme/payments/deployments/7' },
    repository: { full_name: 'acme/payments' },
  };
}

async function alerts(): Promise<string[]> {
  await h.settle();
  return h.slack.channelMessages('C0PAY').filter((m) => m.text.startsWith('Unauthorised version')).map((m) => JSON.stringify(m.blocks));
}

describe('GitHub webhooks', () => {
  it('refuses a delivery whose signature does not verify, and records nothing', async () => {
    const res = await deliver('deployment_status', deploymentStatus('us-1', '5.0.0'), { secret: 'wrong' });
    expect(res.status).toBe(401);
    const rows = await h.relm.db.selectFrom('deployment_records').selectAll().execute();
    expect(rows).toEqual([]);
  });

  it('records a deployment to a non-production environment in the configuration records, without a flag', async () => {
    const res = await deliver('deployment_status', deploymentStatus('staging', '3.0.0'));
    expect(res).toEqual({ status: 200, body: { recorded: true, unauthorised: false } });
    const where = await h.command('U0DEV', 'where payments');
    expect(where.reply!.text).toMatch(/\*staging\*: 3\.0\.0 since [^\n]*, a GitHub deployment/);
    expect(await alerts()).toEqual([]);
  });

  it('flags a production deployment of a version relm never authorised, once per delivery', async () => {
    const delivery = randomUUID();
    const first = await deliver('deployment_status', deploymentStatus('us-1', '9.9.9'), { delivery });
    expect(first.body).toEqual({ recorded: true, unauthorised: true });
    const again = await deliver('deployment_status', deploymentStatus('us-1', '9.9.9'), { delivery });
    expect(again.body).toEqual({ duplicate: true });
    const found = await alerts();
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('a deployment of 9.9.9 reached us-1');
    const recorded = await h.relm.db.selectFrom('unauthorised_versions').selectAll().execute();
    expect(recorded.map((r) => [r.service, r.version, r.kind])).toEqual([['payments', '9.9.9', 'deployment']]);
    const audit = await h.relm.db.selectFrom('audit_log').select(['action', 'release_id']).where('action', '=', 'unauthorised_version').execute();
    expect(audit).toEqual([{ action: 'unauthorised_version', release_id: null }]);
  });

  it('flags a published GitHub release without an approved relm release, escaping what GitHub sent', async () => {
    const res = await deliver('release', { action: 'published', release: { tag_name: 'v9.9.8<!channel>', html_url: 'https://github.com/acme/payments/releases/tag/v9.9.8' }, repository: { full_name: 'acme/payments' } });
    expect(res.body).toEqual({ recorded: true, unauthorised: true });
    const found = await alerts();
    expect(found).toHaveLength(2);
    expect(found[1]).toContain('9.9.8&lt;!channel&gt;');
    expect(found[1]).not.toContain('<!channel>');
  });

  it('says a deployment protection rule request cannot be answered without the GitHub App, and takes nothing', async () => {
    const res = await deliver('deployment_protection_rule', { action: 'requested', environment: 'us-1', sha: 'abc1234abc1234', ref: 'main', deployment_callback_url: 'https://api.github.com/repos/acme/payments/actions/runs/1/deployment_protection_rule', installation: { id: 1 }, repository: { full_name: 'acme/payments' } });
    expect(res).toEqual({ status: 503, body: { error: expect.stringContaining('set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY') } });
    const queued = await h.relm.db.selectFrom('outbox').select('kind').where('kind', '=', 'deployment_review').execute();
    expect(queued).toEqual([]);
  });

  it('does not flag a release for a version relm has approved, and ignores other events', async () => {
    await h.relm.db
      .insertInto('releases')
      .values({ service: 'payments', version: '4.0.0', type: 'minor', title: 'x', description: '', risk: 'low', planned_start: null, deployment_model: 'two-waves', rollback_plan: 'r', test_evidence: 'e', training_needed: false, requester: 'U0DEV', state: 'approved', card_channel: 'C0PAY', card_ts: null, created_at: new Date(), updated_at: new Date(), submitted_at: new Date(), approved_at: new Date() })
      .execute();
    const ok = await deliver('release', { action: 'published', release: { tag_name: 'v4.0.0' }, repository: { full_name: 'acme/payments' } });
    expect(ok.body).toEqual({ recorded: true, unauthorised: false });
    const ignored = await deliver('push', { ref: 'refs/heads/main', repository: { full_name: 'acme/payments' } });
    expect(ignored.status).toBe(202);
    expect(await alerts()).toHaveLength(2);
  });
});
