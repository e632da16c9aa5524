import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { FakeDeployer } from '../support/fake-deployer.ts';
import { writeRolloutConfig } from '../support/rollout-config.ts';
import { planValues } from '../support/slack-views.ts';
import { spawnRelm } from '../support/relm-process.ts';

const SECRET_ENV = 'RELM_TEST_HOOK_SECRET';
const SECRET = 'sigterm-test-secret';
let h: Harness;
let deployer: FakeDeployer;

beforeAll(async () => {
  process.env[SECRET_ENV] = SECRET;
  deployer = await new FakeDeployer(SECRET).start();
  // The receiver only: the jobs run in the worker processes this test starts and stops.
  h = await startHarness({ store: 'postgres', role: 'bot', config: writeRolloutConfig({ deployerUrl: deployer.url, secretEnv: SECRET_ENV, bakes: '1s' }) });
});

afterAll(async () => {
  await h?.stop();
  await deployer?.stop();
});

function worker() {
  return spawnRelm('worker', { ...h.env, PORT: 0, LOG_LEVEL: 'info', RELM_JOB_LOCK_MS: 3_000, [SECRET_ENV]: SECRET });
}

describe('SIGTERM to a worker with a job running', () => {
  it('lets the job finish, exits 0 within 10 s, and the next worker goes on without doing it again', async () => {
    // Wave one's deploy call takes 3 s to answer: the signal comes while the job waits for it.
    deployer.answers.set('one', [{ status: 200, body: { status: 'succeeded' }, delayMs: 3_000 }]);
    const first = worker();
    let second: ReturnType<typeof worker> | undefined;
    try {
      const at = new Date(Date.now() + 1_500);
      const planned = await h.command('U0DEV', `new hooks 4.0.0 --at ${at.toISOString()}`, { channel: 'C0HOOK' });
      const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
      const edit = await h.command('U0DEV', `edit REL-${id}`, { channel: 'C0HOOK' });
      await h.submitView('U0DEV', edit.view, planValues({ version: '4.0.0', model: 'hooked', rollback: 'redeploy', evidence: 'ci', start: at }));
      await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0HOOK' });
      await h.command('U0APP1', `approve REL-${id}`, { channel: 'C0HOOK' });

      await waitFor(() => deployer.calls.some((c) => c.body.release.id === id && c.body.wave === 'one'), 'the deploy call of wave one', 30_000);
      const signalled = performance.now();
      first.child.kill('SIGTERM');
      const code = await first.exited;
      const tookMs = performance.now() - signalled;
      console.log(`worker exited ${code} ${Math.round(tookMs)} ms after SIGTERM with a 3 s job in hand`);
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(10_000);
      // The job finished before the process went: wave one's verdict is recorded.
      const steps = await h.relm.db.selectFrom('rollout_steps').select(['wave_name', 'state']).where('release_id', '=', id).orderBy('id').execute();
      expect(steps[0]).toMatchObject({ wave_name: 'one' });
      expect(steps[0]!.state).not.toBe('running');
      expect(first.output()).not.toContain('jobs still running at the shutdown deadline');

      second = worker();
      await waitFor(async () => (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state === 'completed', 'the rollout to complete', 40_000);
      expect(deployer.calls.filter((c) => c.body.release.id === id).map((c) => c.body.wave)).toEqual(['one', 'two']);
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
      if (second) {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
    }
  }, 90_000);

  it('hands back a job that outlasts the deadline: exits 0 within 10 s, and another worker does it again under the same idempotency key', async () => {
    deployer.answers.set('one', [{ status: 200, body: { status: 'succeeded' }, delayMs: 12_000 }]);
    const first = worker();
    let second: ReturnType<typeof worker> | undefined;
    try {
      const at = new Date(Date.now() + 1_500);
      const planned = await h.command('U0DEV', `new hooks 5.0.0 --at ${at.toISOString()}`, { channel: 'C0HOOK' });
      const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
      const edit = await h.command('U0DEV', `edit REL-${id}`, { channel: 'C0HOOK' });
      await h.submitView('U0DEV', edit.view, planValues({ version: '5.0.0', model: 'hooked', rollback: 'redeploy', evidence: 'ci', start: at }));
      await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0HOOK' });
      await h.command('U0APP1', `approve REL-${id}`, { channel: 'C0HOOK' });

      await waitFor(() => deployer.calls.some((c) => c.body.release.id === id && c.body.wave === 'one'), 'the deploy call of wave one', 30_000);
      const signalled = performance.now();
      first.child.kill('SIGTERM');
      const code = await first.exited;
      const tookMs = performance.now() - signalled;
      console.log(`worker exited ${code} ${Math.round(tookMs)} ms after SIGTERM with a 12 s job in hand`);
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(10_000);
      expect(first.output()).toContain('jobs still running at the shutdown deadline');

      second = worker();
      await waitFor(async () => (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state === 'completed', 'the rollout to complete', 60_000);
      const calls = deployer.calls.filter((c) => c.body.release.id === id);
      const one = calls.filter((c) => c.body.wave === 'one');
      // Handed back: tried again, with the idempotency key the deploy system dedupes on.
      expect(one.length).toBeGreaterThanOrEqual(2);
      expect(new Set(one.map((c) => c.idempotencyKey)).size).toBe(1);
      expect(calls.filter((c) => c.body.wave === 'two')).toHaveLength(1);
      const started = await h.relm.db.selectFrom('audit_log').select('action').where('release_id', '=', id).where('action', '=', 'wave_started').execute();
      expect(started).toHaveLength(2);
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
      if (second) {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
    }
  }, 120_000);
});
