import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackEmulator } from '../../src/console/slack-emulator.ts';
import { FakeDeployer } from '../support/fake-deployer.ts';
import { FakeGitHub } from '../support/fake-github.ts';
import { FakeJira } from '../support/fake-jira.ts';
import { takeFakeServerFaults } from '../support/local-server.ts';

// The replicas test SIGKILLs a worker while it may be sending to Jira, GitHub, Slack or the deployer.
// A real server drops such a request and serves the next; a fake that left the aborted body read as an
// unhandled rejection failed whichever test file was running, after every test had passed.

/** Sends the start of a JSON body that says more is coming, then vanishes like a killed process. */
async function sendHalfAndVanish(base: string, path: string): Promise<void> {
  const url = new URL(path, base);
  const req = request({ host: url.hostname, port: url.port, method: 'POST', path: url.pathname, headers: { 'content-type': 'application/json', 'content-length': '4096' } });
  req.on('error', () => {});
  req.write('{"wave": "canary", "fields": {');
  await new Promise((resolve) => setTimeout(resolve, 50));
  req.destroy();
  await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('the fake servers, when a client dies mid-request', () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', record);
  });
  afterEach(() => {
    process.off('unhandledRejection', record);
  });

  it('drop that request and answer the next, with nothing left unhandled', async () => {
    const jira = await new FakeJira().start();
    const github = await new FakeGitHub().start();
    const deployer = await new FakeDeployer('fake-servers-secret').start();
    const slack = await new SlackEmulator().start();
    try {
      await sendHalfAndVanish(jira.url, '/rest/api/3/issue');
      await sendHalfAndVanish(github.url, '/repos/acme/shop/releases');
      await sendHalfAndVanish(deployer.url, '/deploy');
      await sendHalfAndVanish(slack.url, '/api/chat.postMessage');
      expect(unhandled.map(String)).toEqual([]);

      expect((await fetch(`${deployer.url}/health`)).status).toBe(200);
      const posted = await fetch(`${slack.apiUrl}auth.test`, { method: 'POST', headers: { authorization: 'Bearer xoxb-test' } });
      expect(await posted.json()).toMatchObject({ ok: true });
      expect((await fetch(`${jira.url}/rest/api/3/serverInfo`)).status).toBeLessThan(500);
      expect((await fetch(`${github.url}/repos/acme/shop/releases`)).status).toBeLessThan(500);
    } finally {
      await Promise.all([jira.stop(), github.stop(), deployer.stop(), slack.stop()]);
    }
  });

  it('answer a fault of their own with a 500 that names it', async () => {
    const deployer = await new FakeDeployer('fake-servers-secret').start();
    try {
      const res = await fetch(`${deployer.url}/deploy`, { method: 'POST', body: '{not json', signal: AbortSignal.timeout(5_000) });
      expect(res.status).toBe(500);
      expect(await res.text()).toMatch(/^fake server fault: .*JSON/);
      expect(unhandled).toEqual([]);
      // Recorded, so the test it happened in fails (here it is the point, so it is taken).
      expect(takeFakeServerFaults()).toEqual([expect.stringMatching(/^POST \/deploy: .*JSON/)]);
    } finally {
      await deployer.stop();
    }
  });
});
