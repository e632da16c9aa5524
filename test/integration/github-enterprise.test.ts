import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { GitHubCodeHost } from '../../src/integrations/github/github-code-host.ts';
import { FakeGitHub } from '../support/fake-github.ts';

let github: FakeGitHub;

beforeAll(async () => {
  github = await new FakeGitHub().start();
  github.enterprise = true;
});

afterAll(async () => {
  await github?.stop();
});

describe('GitHub Enterprise Server', () => {
  it('talks to the REST API under GITHUB_API_URL (https://HOST/api/v3) for every call', async () => {
    const host = new GitHubCodeHost({ token: 'ghp_enterprise', apiUrl: `${github.url}/api/v3/`, log: pino({ level: 'silent' }), timeoutMs: 5_000 });
    const draft = await host.ensureDraftRelease('acme/ent', { tag: 'v1.0.0', name: 'Ent 1.0.0', body: 'notes' });
    expect(draft.created).toBe(true);
    expect(await host.ensureDraftRelease('acme/ent', { tag: 'v1.0.0', name: 'Ent 1.0.0', body: 'notes' })).toMatchObject({ id: draft.id, created: false });
    expect(await host.releaseAssets('acme/ent', { tag: 'v1.0.0', id: draft.id })).toEqual([]);
    expect(github.calls.map((c) => c.path)).toEqual(['/api/v3/repos/acme/ent/releases', '/api/v3/repos/acme/ent/releases', '/api/v3/repos/acme/ent/releases', `/api/v3/repos/acme/ent/releases/${draft.id}`]);
    expect(github.calls.every((c) => c.auth === 'token ghp_enterprise')).toBe(true);
  });
});
