import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, textSink, waitFor, type Harness } from '../support/harness.ts';
import { FakeGitHub } from '../support/fake-github.ts';
import { findCard } from '../support/slack-views.ts';
import { runDoctor } from '../../src/doctor.ts';

// relm as a GitHub custom deployment protection rule, on real PostgreSQL and Redis: signed
// deployment_protection_rule deliveries in, reviews out through a GitHub App (installation tokens
// bought with an RS256 JWT) to the fake GitHub, which checks each review against GitHub's schema.
const SECRET = 'protection-webhook-secret';
const APP_ID = '424242';
const INSTALLATION = 77;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

// A Wednesday inside the windows, away from any freeze; `skew` moves the clock (to a Saturday).
const START = new Date('2026-12-09T10:00:00Z').getTime() - Date.now();
let skew = 0;
const clock = () => new Date(Date.now() + START + skew);

let h: Harness;
let github: FakeGitHub;
let runs = 5000;

function writeConfig(): string {
  const yaml = `
timezone: UTC
release_managers: [U0RM]
groups:
  approvers: [U0APP1, U0APP2]
services:
  pay: { name: Pay, channel: C0PAY, github_repo: acme/pay, policy: guarded, deployment_model: envs, members: [U0DEV] }
policies:
  guarded:
    approvals:
      minor: { required: 1, from: [approvers] }
    windows: ["Mon-Fri 09:00-17:00"]
github:
  tag: "v{version}"
deployment_models:
  envs:
    waves:
      - { name: staging, targets: [staging] }
      - { name: production, targets: [production] }
`;
  const file = join(mkdtempSync(join(tmpdir(), 'relm-protection-')), 'relm.yml');
  writeFileSync(file, yaml);
  return file;
}

beforeAll(async () => {
  github = await new FakeGitHub().start();
  github.app = { id: APP_ID, publicKey, slug: 'relm-test' };
  h = await startHarness({
    store: 'postgres',
    config: writeConfig(),
    clock,
    httpRetryBaseMs: 50,
    env: {
      GITHUB_WEBHOOK_SECRET: SECRET,
      GITHUB_TOKEN: 'ghp_test_token_0123456789',
      GITHUB_API_URL: `${github.url}/`,
      GITHUB_APP_ID: APP_ID,
      // As an env file holds it: newlines written as \n.
      GITHUB_APP_PRIVATE_KEY: privateKey.replace(/\n/g, '\\n'),
    },
  });
});

afterAll(async () => {
  await h?.stop();
  await github?.stop();
});

/** A deployment_protection_rule delivery as GitHub sends it when a job references the protected environment. */
async function requestGate(sha: string, options: { delivery?: string; environment?: string; ref?: string; runId?: number; secret?: string } = {}) {
  const runId = options.runId ?? ++runs;
  const body = JSON.stringify({
    action: 'requested',
    environment: options.environment ?? 'production',
    event: 'push',
    ref: options.ref ?? 'refs/heads/main',
    sha,
    deployment_callback_url: `https://api.github.com/repos/acme/pay/actions/runs/${runId}/deployment_protection_rule`,
    deployment: { id: runId * 10, sha, ref: 'main', environment: options.environment ?? 'production', creator: { login: 'github-actions[bot]' } },
    repository: { full_name: 'acme/pay', name: 'pay', owner: { login: 'acme' } },
    installation: { id: INSTALLATION },
    sender: { login: 'octocat' },
  });
  const res = await fetch(`${h.baseUrl}/webhooks/github`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-github-event': 'deployment_protection_rule', 'x-github-delivery': options.delivery ?? randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', options.secret ?? SECRET).update(body).digest('hex')}`, 'user-agent': 'GitHub-Hookshot/test' },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, runId };
}

async function reviewOf(runId: number) {
  return waitFor(() => github.gateReviews.find((r) => r.runId === runId), `the review of run ${runId}`, 15_000);
}

async function decisions(): Promise<{ release_id: number | null; after: any }[]> {
  return h.relm.db.selectFrom('audit_log').select(['release_id', 'after']).where('action', '=', 'deployment_protection').orderBy('seq').execute();
}

const SHA1 = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const SHA2 = 'b2c3d4e5f60718293a4b5c6d7e8f901234567890';
const idOf = (text: string) => Number(/REL-(\d+)/.exec(text)![1]);

/** Plans, submits and approves pay `version`, planned for tomorrow. */
async function authorised(version: string): Promise<number> {
  const at = new Date(clock().getTime() + 86_400_000).toISOString();
  const planned = await h.command('U0DEV', `new pay ${version} --type minor --at ${at} --rollback "Redeploy the previous version" --tests "CI green"`, { channel: 'C0PAY' });
  const id = idOf(planned.reply!.text);
  await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0PAY' });
  const approved = await h.command('U0APP1', `approve REL-${id}`, { channel: 'C0PAY' });
  expect(approved.reply!.text).toContain('authorised');
  return id;
}

describe('deployment protection rule', () => {
  it('refuses an unsigned request and answers nothing', async () => {
    const res = await requestGate(SHA1, { secret: 'wrong' });
    expect(res.status).toBe(401);
    await h.settle();
    expect(github.gateReviews).toEqual([]);
  });

  it('rejects a sha no approved release covers, saying why and what would authorise it, and audits it', async () => {
    const res = await requestGate(SHA1);
    expect(res.status).toBe(202);
    const review = await reviewOf(res.runId);
    expect(review).toMatchObject({ repo: 'acme/pay', installationId: INSTALLATION, body: { environment_name: 'production', state: 'rejected' } });
    expect(review.body.comment).toContain('No approved release of pay covers refs/heads/main (a1b2c3d)');
    expect(review.body.comment).toContain('/release new pay <version>');
    // The App asked for an installation token with a JWT the fake checked against the App's key.
    expect([...github.installationTokens.values()]).toContain(INSTALLATION);
    const audit = await decisions();
    expect(audit.at(-1)).toMatchObject({ release_id: null, after: { state: 'rejected', sha: SHA1, environment: 'production', runId: res.runId } });
  });

  it('approves the sha an approved release\'s tag points at, audits it on the release and notes it on the card thread', async () => {
    const id = await authorised('2.0.0');
    github.commits.set('acme/pay@v2.0.0', SHA2);
    const res = await requestGate(SHA2);
    const review = await reviewOf(res.runId);
    expect(review.body).toMatchObject({ environment_name: 'production', state: 'approved' });
    expect(review.body.comment).toContain(`REL-${id} (pay 2.0.0) is approved in relm`);
    const audit = await decisions();
    expect(audit.at(-1)).toMatchObject({ release_id: id, after: { state: 'approved', sha: SHA2 } });
    await h.settle();
    const card = findCard(h.slack, 'C0PAY', id)!;
    const notes = h.slack.thread('C0PAY', card.ts).map((m) => m.text).join('\n');
    expect(notes).toContain('Approved a GitHub deployment to production');
    // A job on the tag is covered; one on a tag moved to another commit is not taken at its name.
    const tagged = await requestGate(SHA2, { ref: 'refs/tags/v2.0.0' });
    expect((await reviewOf(tagged.runId)).body.state).toBe('approved');
    const moved = await requestGate('0000000000000000000000000000000000000000', { ref: 'refs/tags/v2.0.0' });
    expect((await reviewOf(moved.runId)).body).toMatchObject({ state: 'rejected', comment: expect.stringContaining('No approved release of pay covers refs/tags/v2.0.0 (0000000)') });
    // A sha that only resembles it is still not covered.
    const other = await requestGate(SHA2.replace(/^b2/, 'ff'));
    expect((await reviewOf(other.runId)).body.state).toBe('rejected');
  });

  it('the fake GitHub refuses a review that GitHub\'s schema does not allow', async () => {
    const token = [...github.installationTokens.keys()][0]!;
    const post = (body: unknown) => fetch(`${github.url}/repos/acme/pay/actions/runs/1/deployment_protection_rule`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `token ${token}`, 'content-type': 'application/json' } });
    expect((await post({ environment_name: 'production', state: 'maybe' })).status).toBe(422);
    expect((await post({ state: 'approved' })).status).toBe(422);
    expect((await post({ environment_name: 'production', comment: 'only a comment' })).status).toBe(204);
    github.gateReviews.splice(github.gateReviews.findIndex((r) => r.runId === 1), 1);
  });

  it('answers a replayed delivery once', async () => {
    const delivery = randomUUID();
    const first = await requestGate(SHA2, { delivery, runId: 9001 });
    const again = await requestGate(SHA2, { delivery, runId: 9001 });
    expect(first.status).toBe(202);
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    await reviewOf(9001);
    await h.settle();
    expect(github.gateReviews.filter((r) => r.runId === 9001)).toHaveLength(1);
    expect((await decisions()).filter((d) => d.after.delivery === delivery)).toHaveLength(1);
  });

  it('decides once when GitHub fails the answer, and sends that decision when the answer goes through', async () => {
    github.faults.push({ status: 502, method: 'POST', path: /deployment_protection_rule$/ });
    const res = await requestGate(SHA2);
    const review = await reviewOf(res.runId);
    expect(review.body.state).toBe('approved');
    expect(github.calls.filter((c) => c.path.endsWith(`/runs/${res.runId}/deployment_protection_rule`))).toHaveLength(2);
    await h.settle();
    expect((await decisions()).filter((d) => d.after.runId === res.runId)).toHaveLength(1);
  });

  it('rejects the approved sha outside the change windows, saying when it may go', async () => {
    skew = 3 * 86_400_000; // Saturday
    try {
      const res = await requestGate(SHA2);
      const review = await reviewOf(res.runId);
      expect(review.body.state).toBe('rejected');
      expect(review.body.comment).toMatch(/is approved, but now is outside pay's change windows \(Mon-Fri 09:00-17:00, UTC\)\. The next allowed moment is 2026-12-14T09:00:00\.000Z/);
    } finally {
      skew = 0;
    }
  });

  it('rejects the approved sha while a deploy lock holds the environment, and approves it once unlocked', async () => {
    const locked = await h.command('U0RM', 'lock pay production database migration --for 1h', { channel: 'C0PAY' });
    expect(locked.reply!.text).toContain('Locked pay (production)');
    const res = await requestGate(SHA2);
    const review = await reviewOf(res.runId);
    expect(review.body.state).toBe('rejected');
    expect(review.body.comment).toContain('pay (production) is locked until');
    expect(review.body.comment).toContain('database migration');
    // A lock on another environment does not hold this one.
    const staging = await requestGate(SHA2, { environment: 'staging' });
    expect((await reviewOf(staging.runId)).body.state).toBe('approved');
    await h.command('U0RM', 'unlock pay production', { channel: 'C0PAY' });
    const after = await requestGate(SHA2);
    expect((await reviewOf(after.runId)).body.state).toBe('approved');
  });

  it('reads the tag\'s commit with the App\'s installation token when relm has no GITHUB_TOKEN', async () => {
    const plain = await startHarness({ store: 'pglite', config: writeConfig(), clock, env: { GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_API_URL: `${github.url}/`, GITHUB_APP_ID: APP_ID, GITHUB_APP_PRIVATE_KEY: privateKey } });
    try {
      const planned = await plain.command('U0DEV', `new pay 3.0.0 --type minor --at ${new Date(clock().getTime() + 86_400_000).toISOString()} --rollback "Redeploy" --tests "CI green"`, { channel: 'C0PAY' });
      const id = idOf(planned.reply!.text);
      await plain.command('U0DEV', `submit REL-${id}`, { channel: 'C0PAY' });
      await plain.command('U0APP1', `approve REL-${id}`, { channel: 'C0PAY' });
      const sha = 'c3d4e5f60718293a4b5c6d7e8f90123456789012';
      github.commits.set('acme/pay@v3.0.0', sha);
      const body = JSON.stringify({ action: 'requested', environment: 'production', sha, ref: 'main', deployment_callback_url: `${github.url}/repos/acme/pay/actions/runs/7777/deployment_protection_rule`, repository: { full_name: 'acme/pay' }, installation: { id: INSTALLATION } });
      const res = await fetch(`${plain.baseUrl}/webhooks/github`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'deployment_protection_rule', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` } });
      expect(res.status).toBe(202);
      expect((await reviewOf(7777)).body).toMatchObject({ state: 'approved', comment: expect.stringContaining(`REL-${id} (pay 3.0.0)`) });
      const read = github.calls.find((c) => c.path === '/repos/acme/pay/commits/v3.0.0' && c.auth?.includes('ghs_fake'));
      expect(read).toBeDefined();
    } finally {
      await plain.stop();
    }
  });

  it('doctor says the App key parses and GET /app answers, and says what is wrong with a bad key', async () => {
    const good = textSink();
    await runDoctor(h.env, good.sink);
    expect(good.text()).toMatch(/✔ github app\s+.*GET \/app answers as relm-test \(App 424242\); the key parses/);
    const bad = textSink();
    await runDoctor({ ...h.env, GITHUB_APP_PRIVATE_KEY: 'not a key' }, bad.sink);
    expect(bad.text()).toMatch(/✘ github app\s+GITHUB_APP_PRIVATE_KEY is not a PEM private key/);
    // A key of another App: GitHub refuses its JWT.
    const other = textSink();
    await runDoctor({ ...h.env, GITHUB_APP_ID: '1' }, other.sink);
    expect(other.text()).toMatch(/✘ github app\s+the key parses, but GET \/app failed/);
  });
});
