import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { FakeDeployer } from '../support/fake-deployer.ts';
import { writeRolloutConfig } from '../support/rollout-config.ts';
import { planValues } from '../support/slack-views.ts';
import { spawnRelm } from '../support/relm-process.ts';

const SECRET_ENV = 'RELM_TEST_HOOK_SECRET';
const SECRET = 'crash-test-secret';
let h: Harness;
let deployer: FakeDeployer;

beforeAll(async () => {
  process.env[SECRET_ENV] = SECRET;
  deployer = await new FakeDeployer(SECRET).start();
  // The receiver only: every job runs in the worker processes this test starts and kills.
  h = await startHarness({ store: 'postgres', role: 'bot', config: writeRolloutConfig({ deployerUrl: deployer.url, secretEnv: SECRET_ENV, bakes: '2s' }) });
});

afterAll(async () => {
  await h?.stop();
  await deployer?.stop();
});

function worker() {
  return spawnRelm('worker', { ...h.env, PORT: 0, LOG_LEVEL: 'warn', RELM_JOB_LOCK_MS: 2_000, [SECRET_ENV]: SECRET });
}

async function stepStates(id: number) {
  return h.relm.db.selectFrom('rollout_steps').select(['wave_name', 'state']).where('release_id', '=', id).orderBy('id').execute();
}

describe('a worker killed in the middle of a rollout', () => {
  it('is replaced by other workers that finish the rollout with no wave, post or webhook call done twice', async () => {
    const first = worker();
    try {
      const at = new Date(Date.now() + 1_500);
      const planned = await h.command('U0DEV', `new hooks 2.0.0 --at ${at.toISOString()}`, { channel: 'C0HOOK' });
      const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
      const edit = await h.command('U0DEV', `edit REL-${id}`, { channel: 'C0HOOK' });
      await h.submitView('U0DEV', edit.view, planValues({ version: '2.0.0', model: 'hooked', rollback: 'redeploy', evidence: 'ci', start: at }));
      await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0HOOK' });
      await h.command('U0APP1', `approve REL-${id}`, { channel: 'C0HOOK' });

      // Kill the worker while wave one bakes.
      await waitFor(async () => (await stepStates(id)).some((s) => s.wave_name === 'one' && s.state === 'baking'), 'wave one to bake', 20_000);
      first.child.kill('SIGKILL');
      await first.exited;

      // Two workers take over at once.
      const second = worker();
      const third = worker();
      try {
        await waitFor(async () => (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state === 'completed', 'the rollout to complete after the crash', 40_000);
      } finally {
        second.child.kill('SIGTERM');
        third.child.kill('SIGTERM');
        await Promise.all([second.exited, third.exited]);
      }

      expect(await stepStates(id)).toEqual([
        { wave_name: 'one', state: 'succeeded' },
        { wave_name: 'two', state: 'succeeded' },
      ]);
      const calls = deployer.calls.filter((c) => c.body.release.id === id);
      expect(calls.map((c) => c.body.wave)).toEqual(['one', 'two']);
      const started = await h.relm.db.selectFrom('audit_log').select('action').where('release_id', '=', id).where('action', '=', 'wave_started').execute();
      expect(started).toHaveLength(2);
      // every effect (cards, notes, announcements) was performed, each exactly once
      const survivor = worker();
      try {
        // A fresh worker process waits out the dead one's leases first; give it room on a busy machine.
        await h.settle(40_000);
      } finally {
        survivor.child.kill('SIGTERM');
        await survivor.exited;
      }
      const effects = await h.relm.db.selectFrom('outbox').select(['kind', 'state']).where('release_id', '=', id).execute();
      expect(effects.filter((e) => e.state !== 'done')).toEqual([]);
      const posts = h.slack.callsTo('chat.postMessage').filter((c) => c.args.metadata?.event_payload?.key);
      const keys = posts.map((c) => c.args.metadata.event_payload.key);
      expect(keys.length).toBe(new Set(keys).size);
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
    }
  }, 90_000);
});
