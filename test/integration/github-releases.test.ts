import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { FakeDeployer } from '../support/fake-deployer.ts';
import { FakeGitHub } from '../support/fake-github.ts';
import { writeRolloutConfig } from '../support/rollout-config.ts';
import { planValues } from '../support/slack-views.ts';

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
    env: { GITHUB_TOKEN: 'ghp_test_token_0123456789', GITHUB_API_URL: `${github.url}/` },
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
    // a refusal is not retried
    expect(github.calls.filter((c) => c.method === 'POST' && c.body.tag_name === 'v1.1.0')).toHaveLength(1);
  });
});
