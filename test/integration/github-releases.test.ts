import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { FakeDeployer } from '../support/fake-deployer.ts';
import { FakeGitHub } from '../support/fake-github.ts';
import { writeRolloutConfig } from '../support/rollout-config.ts';
import { findCard, planValues } from '../support/slack-views.ts';

const SECRET_ENV = 'RELM_TEST_HOOK_SECRET';
let h: Harness;
let github: FakeGitHub;
let deployer: FakeDeployer;

beforeAll(async () => {
  process.env[SECRET_ENV] = 'gh-test-secret';
  deployer = await new FakeDeployer('gh-test-secret').start();
  github = await new FakeGitHub().start();
  h = await startHarness({
    store: 'pglite',
    config: writeRolloutConfig({ deployerUrl: deployer.url, secretEnv: SECRET_ENV }),
    env: { GITHUB_TOKEN: 'ghp_test_token_0123456789', GITHUB_API_URL: `${github.url}/`, GITHUB_WEBHOOK_SECRET: 'gh-webhook-secret', RELM_HTTP_TIMEOUT_MS: '800' },
  });
});

afterAll(async () => {
  await h?.stop();
  await github?.stop();
  await deployer?.stop();
});

async function approve(version: string, at: Date): Promise<number> {
  const planned = await h.command('U0DEV', `new hooks ${version} --at ${at.toISOString()}`, { channel: 'C0HOOK' });
  const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
  const edit = await h.command('U0DEV', `edit REL-${id}`, { channel: 'C0HOOK' });
  await h.submitView('U0DEV', edit.view, planValues({ version, model: 'hooked', title: `Hooks ${version}`, rollback: 'redeploy', evidence: 'ci', start: at }));
  await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0HOOK' });
  await h.command('U0APP1', `approve REL-${id}`, { channel: 'C0HOOK' });
  return id;
}

describe('GitHub releases', () => {
  it('drafts the release with generated notes on approval, through a 5xx and a rate limit, and publishes it when the rollout completes', async () => {
    github.faults.push({ status: 429, method: 'GET', headers: { 'retry-after': '1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1) } }, { status: 502, method: 'POST' });
    const id = await approve('1.0.0', new Date(Date.now() + 4_000));
    const draft = await waitFor(() => github.releases.find((r) => r.tag_name === 'v1.0.0'), 'the draft release', 15_000);
    expect(draft).toMatchObject({ draft: true, name: 'Hooks 1.0.0', generate_release_notes: true });
    expect(github.releases).toHaveLength(1);
    expect(github.calls.every((c) => c.auth === 'token ghp_test_token_0123456789')).toBe(true);
    await waitFor(async () => (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state === 'completed', 'the rollout to complete', 20_000);
    await waitFor(() => github.releases.find((r) => r.tag_name === 'v1.0.0' && !r.draft), 'the release to be published', 10_000);
    expect(github.releases).toHaveLength(1);
  }, 40_000);

  it('shows a refusal from GitHub on the release for good, without holding up the release flow', async () => {
    github.faults.push({ status: 422, method: 'POST', body: { message: 'Validation Failed', errors: [{ resource: 'Release', code: 'custom', message: 'tag is protected' }] } });
    const id = await approve('1.1.0', new Date(Date.now() + 60 * 60_000));
    await h.settle();
    const show = await h.command('U0DEV', `show REL-${id}`, { channel: 'C0HOOK' });
    expect(show.reply!.text).toContain('Scheduled');
    expect(show.reply!.text).toMatch(/github draft failed:\* GitHub refused to create the release \(422\)/);
    const card = await waitFor(() => {
      const text = JSON.stringify(findCard(h.slack, 'C0HOOK', id)?.blocks ?? []);
      return text.includes('github draft failed: GitHub refused to create the release (422)') ? text : undefined;
    }, 'the refusal on the card');
    expect(card).toContain(':warning:');
    // a refusal is not retried
    expect(github.calls.filter((c) => c.method === 'POST' && c.body.tag_name === 'v1.1.0')).toHaveLength(1);
  });

  it('marks the GitHub release as rolled back when the release is rolled back', async () => {
    const id = await approve('1.6.0', new Date(Date.now() + 1_000));
    await waitFor(() => github.releases.find((r) => r.tag_name === 'v1.6.0'), 'the draft', 15_000);
    await waitFor(async () => ['in_progress', 'completed'].includes((await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state) || undefined, 'the rollout to start', 15_000);
    const rolled = await h.command('U0DEV', `rollback REL-${id} error rate up`, { channel: 'C0HOOK' });
    expect(rolled.reply!.text).not.toMatch(/cannot|not allowed/i);
    await waitFor(async () => (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state === 'rolled_back', 'the rollback to finish', 20_000);
    const release = await waitFor(() => github.releases.find((r) => r.tag_name === 'v1.6.0' && r.body.startsWith('> **Rolled back**')), 'the rolled-back note', 10_000);
    expect(release.body).toContain(`(REL-${id} in relm)`);
    expect(github.releases.filter((r) => r.tag_name === 'v1.6.0')).toHaveLength(1);
  }, 40_000);

  it('waits out a secondary rate limit that outlasts the client\'s own retries, instead of giving up on the release', async () => {
    const limit = { status: 403, method: 'POST', path: /\/repos\/acme\/hooks\/releases$/, headers: { 'retry-after': '1' }, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' } };
    github.faults.push({ ...limit }, { ...limit }, { ...limit });
    const id = await approve('1.7.0', new Date(Date.now() + 60 * 60_000));
    await waitFor(() => github.releases.find((r) => r.tag_name === 'v1.7.0'), 'the draft after the rate limit', 20_000);
    expect(github.calls.filter((c) => c.method === 'POST' && c.body?.tag_name === 'v1.7.0')).toHaveLength(4);
    const show = await h.command('U0DEV', `show REL-${id}`, { channel: 'C0HOOK' });
    expect(show.reply!.text).not.toContain('github draft failed');
  }, 30_000);
});

describe('the lead time for changes from GitHub', () => {
  it('records the commits a completed release shipped since the previous released tag, once its release is published', async () => {
    const now = h.relm.ctx.clock().getTime();
    // v1.0.0 (completed above) is the previous release of hooks; 1.8.0's three commits were written 3 days to 1 hour ago.
    const [, tagged] = github.addCommits('acme/hooks', [{ authoredAt: new Date(now - 10 * 86_400_000) }, { authoredAt: new Date(now - 9 * 86_400_000) }]);
    github.tag('acme/hooks', 'v1.0.0', tagged);
    github.addCommits('acme/hooks', [{ authoredAt: new Date(now - 2 * 86_400_000) }, { authoredAt: new Date(now - 3 * 86_400_000) }, { authoredAt: new Date(now - 3_600_000) }]);
    const id = await approve('1.8.0', new Date(now + 1_000));
    await waitFor(async () => (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state === 'completed', 'the rollout to complete', 20_000);
    const commits = await waitFor(() => h.relm.db.selectFrom('release_commits').selectAll().where('release_id', '=', id).executeTakeFirst(), 'the commits to be recorded', 15_000);
    // Publishing the draft made the tag v1.8.0 at the newest commit; compared with v1.0.0 there are three.
    expect(commits).toMatchObject({ base: 'v1.0.0', head: 'v1.8.0', commits: 3, first_commit_at: new Date(Math.floor((now - 3 * 86_400_000) / 1000) * 1000) });
    expect(github.calls.filter((c) => c.path === '/repos/acme/hooks/compare/v1.0.0...v1.8.0')).toHaveLength(1);
  }, 40_000);
});

describe('the github deployer', () => {
  async function status(deploymentId: number, environment: string, state: string) {
    const { createHmac, randomUUID } = await import('node:crypto');
    const payload = github.deployments.find((d) => d.id === deploymentId)!.payload;
    const body = JSON.stringify({ action: 'created', deployment_status: { state, environment, description: `${state} in ${environment}` }, deployment: { id: deploymentId, ref: 'v3.0.0', environment, payload }, repository: { full_name: 'acme/gh' } });
    const res = await fetch(`${h.baseUrl}/webhooks/github`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-github-event': 'deployment_status', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', 'gh-webhook-secret').update(body).digest('hex')}` },
    });
    expect(res.status).toBe(200);
  }

  it('creates one deployment per target and wave, once, and moves on as GitHub reports them', async () => {
    github.faults.push({ status: 502, method: 'POST' });
    const at = new Date(Date.now() + 1_000);
    const planned = await h.command('U0DEV', `new gh 3.0.0 --at ${at.toISOString()}`, { channel: 'C0GH' });
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    const edit = await h.command('U0DEV', `edit REL-${id}`, { channel: 'C0GH' });
    await h.submitView('U0DEV', edit.view, planValues({ version: '3.0.0', model: 'gh-envs', rollback: 'redeploy', evidence: 'ci', start: at }));
    await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0GH' });
    await h.command('U0APP1', `approve REL-${id}`, { channel: 'C0GH' });

    const staging = await waitFor(() => github.deployments.find((d) => d.repo === 'acme/gh' && d.environment === 'staging'), 'the staging deployment', 15_000);
    expect(staging).toMatchObject({ ref: 'v3.0.0', auto_merge: false, payload: { release: `REL-${id}`, version: '3.0.0', relm_key: expect.stringMatching(/^rel-\d+-deploy-w0-t1:staging$/) } });
    await status(staging.id, 'staging', 'in_progress');
    await status(staging.id, 'staging', 'success');
    const prodEu = await waitFor(() => github.deployments.find((d) => d.repo === 'acme/gh' && d.environment === 'prod-eu'), 'the production deployments');
    const prodUs = await waitFor(() => github.deployments.find((d) => d.repo === 'acme/gh' && d.environment === 'prod-us'), 'the production deployments');
    await status(prodEu.id, 'prod-eu', 'success');
    expect((await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state).toBe('in_progress');
    await status(prodUs.id, 'prod-us', 'success');
    await waitFor(async () => (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state === 'completed', 'the rollout to complete');
    expect(github.deployments.filter((d) => d.repo === 'acme/gh')).toHaveLength(3);
    const where = await h.command('U0DEV', 'where gh', { channel: 'C0GH' });
    expect(where.reply!.text).toMatch(/\*prod-us\*: 3\.0\.0/);
    // relm's own authorised deployment is not flagged
    expect(await h.relm.db.selectFrom('unauthorised_versions').selectAll().where('service', '=', 'gh').execute()).toEqual([]);
  }, 40_000);
});

describe('release assets before the first wave', () => {
  const GOOD = 'a'.repeat(64);
  const BAD = 'b'.repeat(64);

  async function withAssets(version: string, at: Date): Promise<number> {
    const planned = await h.command('U0DEV', `new hooks ${version} --at ${at.toISOString()}`, { channel: 'C0HOOK' });
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    const edit = await h.command('U0DEV', `edit REL-${id}`, { channel: 'C0HOOK' });
    const values = { ...planValues({ version, model: 'hooked', rollback: 'redeploy', evidence: 'ci', start: at }), assets: { value: { type: 'plain_text_input', value: `hooks-linux.tar.gz ${GOOD}` } } };
    const bad = await h.submitView('U0DEV', edit.view, { ...values, assets: { value: { type: 'plain_text_input', value: 'hooks-linux.tar.gz not-a-digest' } } });
    expect(bad.body.errors.assets).toContain('64-character sha256');
    expect((await h.submitView('U0DEV', edit.view, values)).body).toBeUndefined();
    await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0HOOK' });
    await h.command('U0APP1', `approve REL-${id}`, { channel: 'C0HOOK' });
    return id;
  }

  const state = async (id: number) => h.relm.db.selectFrom('releases').select(['state', 'rollout_note']).where('id', '=', id).executeTakeFirstOrThrow();

  it('starts the first wave only once the planned assets are on the GitHub release with their sha256', async () => {
    const id = await withAssets('2.0.0', new Date(Date.now() + 2_000));
    const draft = await waitFor(() => github.releases.find((r) => r.tag_name === 'v2.0.0'), 'the draft');
    draft.assets = [{ name: 'hooks-linux.tar.gz', digest: `sha256:${GOOD}` }];
    await waitFor(() => deployer.calls.some((c) => c.body.release.id === id), 'the first wave to be deployed', 15_000);
    const audit = await h.relm.db.selectFrom('audit_log').select('action').where('release_id', '=', id).execute();
    expect(audit.map((a) => a.action)).toContain('assets_verified');
    const show = await h.command('U0DEV', `show REL-${id}`, { channel: 'C0HOOK' });
    expect(show.reply!.text).toMatch(/Release assets:\* hooks-linux\.tar\.gz \(aaaaaaaaaaaa…\) · verified on GitHub/);
  });

  it('pauses before the first wave on a wrong digest, and goes on once it is fixed and resumed', async () => {
    const id = await withAssets('2.1.0', new Date(Date.now() + 2_000));
    const draft = await waitFor(() => github.releases.find((r) => r.tag_name === 'v2.1.0'), 'the draft');
    draft.assets = [{ name: 'hooks-linux.tar.gz', digest: `sha256:${BAD}` }];
    const paused = await waitFor(async () => ((await state(id)).state === 'paused' ? state(id) : undefined), 'the pause', 15_000);
    expect(paused.rollout_note).toContain('asset hooks-linux.tar.gz has sha256 bbbbbbbbbbbb');
    expect(deployer.calls.some((c) => c.body.release.id === id)).toBe(false);
    expect((await h.command('U0DEV', `show REL-${id}`, { channel: 'C0HOOK' })).reply!.text).toContain(':x: asset hooks-linux.tar.gz has sha256 bbbbbbbbbbbb');
    draft.assets = [{ name: 'hooks-linux.tar.gz', digest: `sha256:${GOOD}` }];
    await h.command('U0DEV', `resume REL-${id}`, { channel: 'C0HOOK' });
    await waitFor(() => deployer.calls.some((c) => c.body.release.id === id), 'the first wave after the fix', 15_000);
  });
});

describe('the github deployer without webhooks', () => {
  async function polled(version: string): Promise<number> {
    const at = new Date(Date.now() + 1_000);
    const planned = await h.command('U0DEV', `new ghp ${version} --at ${at.toISOString()}`, { channel: 'C0GHP' });
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    const edit = await h.command('U0DEV', `edit REL-${id}`, { channel: 'C0GHP' });
    await h.submitView('U0DEV', edit.view, planValues({ version, model: 'gh-polled', rollback: 'redeploy', evidence: 'ci', start: at }));
    await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0GHP' });
    await h.command('U0APP1', `approve REL-${id}`, { channel: 'C0GHP' });
    return id;
  }
  const release = (id: number) => h.relm.db.selectFrom('releases').select(['state', 'rollout_note']).where('id', '=', id).executeTakeFirstOrThrow();

  it('asks GitHub for the deployment statuses and completes the wave from what it says', async () => {
    const id = await polled('4.0.0');
    const eu = await waitFor(() => github.deployments.find((d) => d.repo === 'acme/ghp' && d.environment === 'prod-eu' && d.ref === 'v4.0.0'), 'the prod-eu deployment', 15_000);
    const us = await waitFor(() => github.deployments.find((d) => d.repo === 'acme/ghp' && d.environment === 'prod-us' && d.ref === 'v4.0.0'), 'the prod-us deployment');
    github.deploymentStatuses.set(eu.id, [{ state: 'in_progress', description: 'rolling' }, { state: 'success', description: 'done' }]);
    github.deploymentStatuses.set(us.id, [{ state: 'success', description: 'done' }]);
    await waitFor(async () => (await release(id)).state === 'completed', 'the rollout to complete from polling', 15_000);
    expect(github.calls.some((c) => c.method === 'GET' && c.path === `/repos/acme/ghp/deployments/${eu.id}/statuses`)).toBe(true);
    expect((await h.command('U0DEV', 'where ghp', { channel: 'C0GHP' })).reply!.text).toMatch(/\*prod-us\*: 4\.0\.0/);
  }, 30_000);

  it('fails the wave when GitHub has no result by the timeout, and says so', async () => {
    const id = await polled('4.1.0');
    const eu = await waitFor(() => github.deployments.find((d) => d.repo === 'acme/ghp' && d.environment === 'prod-eu' && d.ref === 'v4.1.0'), 'the prod-eu deployment', 15_000);
    github.deploymentStatuses.set(eu.id, [{ state: 'in_progress', description: 'still going' }]);
    const paused = await waitFor(async () => ((await release(id)).state === 'paused' ? release(id) : undefined), 'the wave to time out', 20_000);
    expect(paused.rollout_note).toContain('GitHub reported no result for prod-eu, prod-us within 4s');
    expect(paused.rollout_note).toContain('Retry it, continue with the next wave, or roll back');
  }, 30_000);

  it('abandons a call GitHub is slow to answer, and the retry finds the deployment it made instead of making another', async () => {
    // GitHub makes the first deployment at once but is slow to say so; relm gives up after 0.8 s.
    github.faults.push({ method: 'POST', path: /\/repos\/acme\/ghp\/deployments$/, delayMs: 3_000 });
    const id = await polled('4.2.0');
    const mine = () => github.deployments.filter((d) => d.repo === 'acme/ghp' && d.ref === 'v4.2.0');
    await waitFor(() => mine().length === 2 || undefined, 'both deployments', 20_000);
    for (const d of mine()) github.deploymentStatuses.set(d.id, [{ state: 'success', description: 'done' }]);
    await waitFor(async () => (await release(id)).state === 'completed', 'the rollout to complete', 15_000);
    expect(mine().map((d) => d.environment).sort()).toEqual(['prod-eu', 'prod-us']);
    const creates = github.calls.filter((c) => c.method === 'POST' && c.path === '/repos/acme/ghp/deployments' && c.body.ref === 'v4.2.0');
    expect(creates.filter((c) => c.body.environment === 'prod-eu')).toHaveLength(1);
    // The abandoned attempt was followed by a second look (prod-eu twice, prod-us once) before anything was created again.
    expect(github.calls.filter((c) => c.method === 'GET' && c.path === '/repos/acme/ghp/deployments').length).toBeGreaterThanOrEqual(3);
  }, 40_000);
});
