import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { SlackEmulator } from '../../src/console/slack-emulator.ts';
import { BOT_TOKEN, SIGNING_SECRET } from '../support/slack-requests.ts';
import { REDIS_URL } from '../support/harness.ts';
import { clockEnv } from '../support/process-env.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relm-test-'));
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs `relm <args>` on the pinned Node, as `npx relm` would. */
function relm(args: string[], env: Record<string, string>, input?: string) {
  const child = spawn(process.execPath, ['src/cli.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', REDIS_URL, ...clockEnv(), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  if (input !== undefined) child.stdin.end(input);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('the relm process', () => {
  it('refuses to start with an invalid relm.yml and names the file, line and problem', async () => {
    const dir = tempDir();
    const file = join(dir, 'relm.yml');
    writeFileSync(file, ['services:', '  demo:', '    name: Demo', '    channel: general', '    policy: standard', '    deployment_model: m', 'policies: {}', 'deployment_models: {}', ''].join('\n'));
    const run = relm(['start'], { RELM_CONFIG: file, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, RELM_DATA_DIR: dir });
    expect(await run.exited).toBe(1);
    const { stderr } = run.output();
    expect(stderr).toContain(`${file}:4:14: services.demo.channel: a Slack channel id like C0123ABCD`);
    expect(stderr).toContain(`${file}:5:13: services.demo.policy: no policy named "standard"`);
  });

  it('refuses to start half-configured for Slack (a bot token, no signing secret) instead of opening the console', async () => {
    const dir = tempDir();
    const run = relm(['start'], { SLACK_BOT_TOKEN: BOT_TOKEN, RELM_DATA_DIR: dir, RELM_CONFIG: join(ROOT, 'relm.yml') }, '');
    expect(await run.exited).toBe(1);
    const { stdout, stderr } = run.output();
    expect(stderr).toContain('SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) is not');
    expect(stdout).not.toContain('starting the local console');
  });

  it('doctor passes with every dependency up and fails naming Redis, with a fix, when it is down', async () => {
    const dir = tempDir();
    const slack = await new SlackEmulator().start();
    try {
      const env = { RELM_DATA_DIR: dir, RELM_CONFIG: join(ROOT, 'relm.yml'), SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl };
      const good = relm(['doctor'], env);
      expect(await good.exited).toBe(0);
      expect(good.output().stdout).toMatch(/✔ slack\s+auth.test: bot relm in Emulated \(HTTP mode\)/);
      expect(good.output().stdout).toContain('All checks passed.');
      // Without Jira or GitHub relm works, and doctor says what is off rather than failing.
      expect(good.output().stdout).toMatch(/✔ jira\s+not configured: change tickets are off/);
      expect(good.output().stdout).toMatch(/✔ github\s+not configured: releases and the github deployer are off/);
      const bad = relm(['doctor'], { ...env, REDIS_URL: 'redis://127.0.0.1:6399' });
      expect(await bad.exited).toBe(1);
      expect(bad.output().stdout).toMatch(/✘ redis\s+redis:\/\/127.0.0.1:6399/);
      expect(bad.output().stdout).toContain('fix: Start Redis');
    } finally {
      await slack.stop();
    }
  }, 60_000); // two doctor runs, each a process that waits out a Redis that does not answer

  it('drains and exits 0 on SIGTERM', async () => {
    const dir = tempDir();
    const slack = await new SlackEmulator().start();
    try {
      const run = relm(['start'], { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', RELM_DATA_DIR: dir, RELM_QUEUE_PREFIX: `relmtest${randomBytes(4).toString('hex')}`, RELM_CONFIG: join(ROOT, 'relm.yml') });
      await new Promise<void>((resolve, reject) => {
        // A cold start (Node 24, every migration on a fresh PGlite) takes seconds, more on a loaded machine.
        const timer = setTimeout(() => reject(new Error(`relm did not start: ${JSON.stringify(run.output())}`)), 45_000);
        run.child.stdout.on('data', () => {
          if (run.output().stdout.includes('relm is running')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.output().stdout).toContain('draining and stopping');
    } finally {
      await slack.stop();
    }
  }, 60_000);

  it('runs the local console: plan, fill the modal, submit and approve as another user', async () => {
    const dir = tempDir();
    const script = [
      '/release new demo 1.0.0 --title "Checkout <!channel>" --at "+1h"',
      '/release submit REL-1',
      '/release edit REL-1',
      '', // version
      '', // type
      '', // title
      'Faster checkout for everyone', // description
      '', // risk
      '', // why the risk is lower than relm assesses (not asked of a lower risk here)
      '', // planned start
      '', // model
      '', // waves (the model's)
      '', // release assets (none)
      'Redeploy 0.9.0', // rollback plan
      'CI run 42 green', // test evidence
      'n', // training
      '', // impact on users
      '', // contact during early life support
      '', // training material (none)
      '/release submit REL-1',
      '/release approve REL-1',
      '/as U0BOB',
      '/release approve REL-1 ship it',
      '/release show REL-1',
      '/quit',
      '',
    ].join('\n');
    const run = relm(['console'], { RELM_DATA_DIR: dir, RELM_QUEUE_PREFIX: `relmtest${randomBytes(4).toString('hex')}`, RELM_CONFIG: join(ROOT, 'relm.yml') }, script);
    expect(await run.exited).toBe(0);
    const { stdout } = run.output();
    expect(stdout).toContain('Planned REL-1: demo 1.0.0');
    expect(stdout).toContain('REL-1 needs a rollback plan and test evidence');
    expect(stdout).toContain('┌ Edit REL-1');
    expect(stdout).toContain('Submitted REL-1 for approval');
    expect(stdout).toContain('You planned REL-1, so you cannot decide on it');
    expect(stdout).toContain('(only you, @U0BOB) ✅ You approved REL-1; it is authorised and scheduled for ');
    expect(stdout).toMatch(/REL-1 · demo 1.0.0: Checkout <!channel> is approved by @U0BOB/);
    expect(stdout).toMatch(/\[\d+\] Approve/);
  }, 60_000);

  it('shows App Home in the console with /home, and its Approve button decides as the request does', async () => {
    const dir = tempDir();
    const run = relm(['console'], { RELM_DATA_DIR: dir, RELM_QUEUE_PREFIX: `relmtest${randomBytes(4).toString('hex')}`, RELM_CONFIG: join(ROOT, 'relm.yml') });
    const seen = async (pattern: RegExp, from = 0): Promise<RegExpMatchArray> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const match = run.output().stdout.slice(from).match(pattern);
        if (match) return match;
        if (Date.now() > deadline) throw new Error(`the console never printed ${pattern}: ${run.output().stdout.slice(from)} ${run.output().stderr.slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const type = (line: string) => run.child.stdin.write(`${line}\n`);
    type('/release new demo 1.0.0 --title "Home <b>" --at "+1h" --rollback "Redeploy 0.9.0" --tests "CI run 42 green"');
    type('/release submit REL-1');
    type('/as U0BOB');
    await seen(/Submitted REL-1 for approval/);
    const before = run.output().stdout.length;
    type('/home');
    // The Home view's own buttons, numbered like every other (the request's Approve may print in between),
    // under the heading, its time and the KPI line.
    const approve = (await seen(/⌂ Home of @U0BOB\n.*\n.*\n    Last 30 days \(all services\): Releases ended 0 · .*\n.*\n  Waiting for your approval \(1\)\n.*REL-1 · demo 1\.0\.0: Home <b>[^[]*\[(\d+)\] Approve/, before))[1]!;
    const pressed = run.output().stdout.length;
    type(approve);
    await seen(/Approve REL-1\? You authorise REL-1 \(revision \d+\) to go live as planned\. \(y\/N\)/, pressed);
    type('y');
    await seen(/⌂ Home of @U0BOB[\s\S]*You approved REL-1[\s\S]*Nothing waits for your decision\./, pressed);
    type('/release show REL-1');
    await seen(/Approvals: 1 of 1 \(@U0BOB\)/, pressed);
    type('/quit');
    run.child.stdin.end();
    expect(await run.exited).toBe(0);
  }, 60_000);
});
