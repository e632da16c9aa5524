import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { FakeDeployer } from '../support/fake-deployer.ts';
import { writeRolloutConfig } from '../support/rollout-config.ts';
import { buttonsOf, findCard, planValues } from '../support/slack-views.ts';
import { ACTIONS } from '../../src/bot/blocks/ids.ts';
import type { EmulatedMessage } from '../../src/console/slack-emulator.ts';
import { advanceRollouts } from '../../src/core/usecases/rollout/advance.ts';
import { verifyAuditTrail } from '../../src/core/usecases/audit-trail.ts';

const SECRET_ENV = 'RELM_TEST_HOOK_SECRET';
const SECRET = 'hook-secret-for-tests';
let h: Harness;
let deployer: FakeDeployer;

beforeAll(async () => {
  process.env[SECRET_ENV] = SECRET;
  deployer = await new FakeDeployer(SECRET).start();
  h = await startHarness({ store: 'postgres', config: writeRolloutConfig({ deployerUrl: deployer.url, secretEnv: SECRET_ENV }) });
});

afterAll(async () => {
  await h?.stop();
  await deployer?.stop();
});

const CHANNELS: Record<string, string> = { shop: 'C0SHOP', hooks: 'C0HOOK', frozen: 'C0FRZ' };
const MODELS: Record<string, string> = { shop: 'quick', hooks: 'hooked', frozen: 'quick' };

async function state(id: number): Promise<string> {
  return (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
}

/** Plans, completes, submits and approves a release starting at `at`; returns its id. */
async function authorised(service: string, version: string, at: Date, options: { type?: string; user?: string } = {}): Promise<number> {
  const user = options.user ?? 'U0DEV';
  const channel = CHANNELS[service]!;
  const planned = await h.command(user, `new ${service} ${version} --type ${options.type ?? 'minor'} --at ${at.toISOString()}`, { channel });
  const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
  const edit = await h.command(user, `edit REL-${id}`, { channel });
  const saved = await h.submitView(user, edit.view, planValues({ version, type: options.type ?? 'minor', model: MODELS[service], rollback: 'Redeploy the previous version', evidence: 'CI green', start: at }));
  expect(saved.body).toBeUndefined();
  await h.command(user, `submit REL-${id}`, { channel });
  const approver = options.type === 'emergency' ? 'U0RM' : 'U0APP1';
  const approved = await h.command(approver, `approve REL-${id}`, { channel });
  expect(approved.reply!.text).toContain('it is authorised and scheduled for');
  return id;
}

async function checklistFor(service: string, id: number, wave: string, kind = 'Deploy', attempt = 0): Promise<EmulatedMessage> {
  const channel = CHANNELS[service]!;
  return waitFor(() => {
    const card = findCard(h.slack, channel, id);
    const found = card ? h.slack.thread(channel, card.ts).filter((m) => m.text.startsWith(`${kind} wave ${wave} of REL-${id}`)) : [];
    return found[attempt];
  }, `the ${kind} checklist of ${wave}`);
}

async function tickAll(message: EmulatedMessage, user = 'U0INST'): Promise<void> {
  const ticks = message.blocks.filter((b) => b.accessory?.action_id === ACTIONS.tick).map((b) => b.accessory.value as string);
  for (const value of ticks) await h.click(user, ACTIONS.tick, value, message, { wait: false });
  // A tick is acknowledged first and recorded after: wait until the checklist shows every item ticked.
  await waitFor(() => {
    const shown = JSON.stringify(h.slack.messages.find((m) => m.ts === message.ts)?.blocks ?? []);
    return ticks.length === 0 || !shown.includes(':white_square:') || undefined;
  }, 'the checklist to show every tick');
  await h.settle();
}

function stepDoneValue(message: EmulatedMessage): string {
  return buttonsOf(message).find((b) => b.action_id === ACTIONS.stepDone)!.value;
}

describe('a manual rollout on schedule', () => {
  it('starts the first wave at the planned time, not before, and runs the waves through bake to completion', async () => {
    const at = new Date(Date.now() + 3_000);
    const id = await authorised('shop', '1.0.0', at);
    expect(await state(id)).toBe('scheduled');

    const canary = await checklistFor('shop', id, 'canary');
    const step = await h.relm.db.selectFrom('rollout_steps').selectAll().where('release_id', '=', id).executeTakeFirstOrThrow();
    const { planned_start } = await h.relm.db.selectFrom('releases').select('planned_start').where('id', '=', id).executeTakeFirstOrThrow();
    expect(step.started_at!.getTime()).toBeGreaterThanOrEqual(planned_start!.getTime());
    expect(await state(id)).toBe('in_progress');

    const stranger = await h.click('U0NOBODY', ACTIONS.stepDone, stepDoneValue(canary), canary);
    expect(stranger.reply!.text).toContain('an installer');
    const early = await h.click('U0INST', ACTIONS.stepDone, stepDoneValue(canary), canary);
    expect(early.reply!.text).toContain('Tick every item before Done');
    await tickAll(canary, 'U0INST');
    const ticked = h.slack.messages.find((m) => m.ts === canary.ts)!;
    expect(JSON.stringify(ticked.blocks)).toContain('<@U0INST>');
    const ticks = await h.relm.db.selectFrom('checklist_ticks').selectAll().where('step_id', '=', step.id).execute();
    expect(ticks.map((t) => t.actor)).toEqual(['U0INST', 'U0INST']);

    const done = await h.click('U0INST', ACTIONS.stepDone, stepDoneValue(canary), canary);
    expect(done.reply!.text).toContain('Wave canary is done');
    await h.settle();
    expect(JSON.stringify(findCard(h.slack, 'C0SHOP', id)!.blocks)).toContain('baking until');

    const rest = await checklistFor('shop', id, 'rest');
    const canaryStep = await h.relm.db.selectFrom('rollout_steps').selectAll().where('id', '=', step.id).executeTakeFirstOrThrow();
    const restStep = await h.relm.db.selectFrom('rollout_steps').selectAll().where('release_id', '=', id).where('wave_index', '=', 1).executeTakeFirstOrThrow();
    // the next wave waits out the bake time
    expect(restStep.started_at!.getTime()).toBeGreaterThanOrEqual(canaryStep.bake_until!.getTime());

    await tickAll(rest);
    await h.click('U0INST', ACTIONS.stepDone, stepDoneValue(rest), rest);
    await waitFor(async () => (await state(id)) === 'completed', 'the release to complete');
    await h.settle();
    const card = findCard(h.slack, 'C0SHOP', id)!;
    expect(card.blocks[0].text.text).toContain('Completed');
    expect(h.slack.thread('C0SHOP', card.ts).filter((m) => m.text.includes('rolled out'))).toHaveLength(1);
    const steps = await h.relm.db.selectFrom('rollout_steps').select(['wave_name', 'state']).where('release_id', '=', id).orderBy('id').execute();
    expect(steps).toEqual([
      { wave_name: 'canary', state: 'succeeded' },
      { wave_name: 'rest', state: 'succeeded' },
    ]);
    const where = await h.command('U0DEV', 'where shop', { channel: 'C0SHOP' });
    for (const target of ['eu-1', 'eu-2', 'us-1']) expect(where.reply!.text).toMatch(new RegExp(`\\*${target}\\*: 1\\.0\\.0 since [^\\n]*, deployed in REL-${id} by <@U0INST>`));
  });
});

describe('controls', () => {
  it('pauses between waves, refuses outsiders, resumes, and rolls back the started waves newest first', async () => {
    const id = await authorised('shop', '1.1.0', new Date(Date.now() + 1_500));
    const canary = await checklistFor('shop', id, 'canary');
    const outsider = await h.command('U0NOBODY', `pause REL-${id}`, { channel: 'C0SHOP' });
    expect(outsider.reply!.text).toContain('can control its rollout');
    const paused = await h.command('U0DEV', `pause REL-${id}`, { channel: 'C0SHOP' });
    expect(paused.reply!.text).toContain('Paused');

    await tickAll(canary);
    await h.click('U0INST', ACTIONS.stepDone, stepDoneValue(canary), canary);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // the bake ends while paused
    await h.settle();
    const whilePaused = await h.relm.db.selectFrom('rollout_steps').select('wave_name').where('release_id', '=', id).execute();
    expect(whilePaused.map((s) => s.wave_name)).toEqual(['canary']);

    await h.command('U0APP1', `resume REL-${id}`, { channel: 'C0SHOP' }); // an approver may control it too
    const rest = await checklistFor('shop', id, 'rest');
    const failed = await h.click('U0INST', ACTIONS.stepFailed, stepDoneValue(rest), rest);
    expect(failed.reply!.text).toContain('failed; the rollout is paused');
    await h.settle();
    expect(await state(id)).toBe('paused');
    const card = findCard(h.slack, 'C0SHOP', id)!;
    expect(buttonsOf(card).map((b) => b.action_id)).toEqual([ACTIONS.retry, ACTIONS.continue, ACTIONS.rollback]);
    const resumeRefused = await h.command('U0DEV', `resume REL-${id}`, { channel: 'C0SHOP' });
    expect(resumeRefused.reply!.text).toContain('rest failed: choose');

    const noReason = await h.command('U0DEV', `rollback REL-${id}`, { channel: 'C0SHOP' });
    expect(noReason.reply!.text).toContain('needs a reason');
    await h.command('U0DEV', `rollback REL-${id} error rate doubled`, { channel: 'C0SHOP' });
    const backRest = await checklistFor('shop', id, 'rest', 'Roll back');
    expect(JSON.stringify(backRest.blocks)).toContain('Redeploy the previous image on eu-2 and us-1');
    await tickAll(backRest);
    await h.click('U0INST', ACTIONS.stepDone, stepDoneValue(backRest), backRest);
    const backCanary = await checklistFor('shop', id, 'canary', 'Roll back');
    await tickAll(backCanary);
    await h.click('U0INST', ACTIONS.stepDone, stepDoneValue(backCanary), backCanary);
    await waitFor(async () => (await state(id)) === 'rolled_back', 'the release to be rolled back');
    const order = await h.relm.db.selectFrom('rollout_steps').select(['kind', 'wave_name']).where('release_id', '=', id).where('kind', '=', 'rollback').orderBy('id').execute();
    expect(order.map((s) => s.wave_name)).toEqual(['rest', 'canary']);
    // the configuration records show the earlier version back on the rolled-back targets
    const where = await h.command('U0DEV', 'where shop', { channel: 'C0SHOP' });
    expect(where.reply!.text).toMatch(/\*eu-1\*: 1\.0\.0 since [^\n]*, put back by the rollback of REL-\d+, by <@U0INST>/);
  });

  it('retries a failed wave as a new try', async () => {
    const id = await authorised('shop', '1.2.0', new Date(Date.now() + 1_000));
    const canary = await checklistFor('shop', id, 'canary');
    await h.click('U0INST', ACTIONS.stepFailed, stepDoneValue(canary), canary);
    await waitFor(async () => (await state(id)) === 'paused', 'the pause after the failure');
    await h.command('U0DEV', `retry REL-${id}`, { channel: 'C0SHOP' });
    const again = await checklistFor('shop', id, 'canary', 'Deploy', 1);
    expect(again.text).toContain('canary');
    const tries = await h.relm.db.selectFrom('rollout_steps').select(['try', 'state', 'idempotency_key']).where('release_id', '=', id).orderBy('id').execute();
    expect(tries.map((t) => [t.try, t.state])).toEqual([
      [1, 'failed'],
      [2, 'running'],
    ]);
    expect(new Set(tries.map((t) => t.idempotency_key)).size).toBe(2);
    await h.command('U0DEV', `abort REL-${id} changed our minds`, { channel: 'C0SHOP' });
    expect(await state(id)).toBe('failed');
  });
});

describe('rollback and re-approval edge cases', () => {
  it('rolls back a wave that was still baking, and survives a second rollback request', async () => {
    const id = await authorised('shop', '1.3.0', new Date(Date.now() + 1_000));
    const canary = await checklistFor('shop', id, 'canary');
    await tickAll(canary);
    await h.click('U0INST', ACTIONS.stepDone, stepDoneValue(canary), canary);
    await h.command('U0DEV', `rollback REL-${id} errors while baking`, { channel: 'C0SHOP' });
    const back = await checklistFor('shop', id, 'canary', 'Roll back');
    // a second request (a double-submitted modal, two people) must not end the rollback early
    await h.command('U0APP1', `rollback REL-${id} same here`, { channel: 'C0SHOP' });
    const again = await checklistFor('shop', id, 'canary', 'Roll back', 1);
    expect(await state(id)).toBe('in_progress');
    expect(back.ts).not.toBe(again.ts);
    await tickAll(again);
    await h.click('U0INST', ACTIONS.stepDone, stepDoneValue(again), again);
    await waitFor(async () => (await state(id)) === 'rolled_back', 'the rollback to finish');
    const rollbacks = await h.relm.db.selectFrom('rollout_steps').select(['wave_name', 'try', 'state']).where('release_id', '=', id).where('kind', '=', 'rollback').orderBy('id').execute();
    expect(rollbacks).toEqual([
      { wave_name: 'canary', try: 1, state: 'cancelled' },
      { wave_name: 'canary', try: 2, state: 'succeeded' },
    ]);
  });

  it('starts at once when approved again after its planned start passed', async () => {
    const at = new Date(Date.now() + 1_500);
    const id = await authorised('shop', '1.4.0', at);
    // The plan changes before the start: approval is asked again, and given only after the start time.
    const edit = await h.command('U0DEV', `edit REL-${id}`, { channel: 'C0SHOP' });
    await h.submitView('U0DEV', edit.view, planValues({ version: '1.4.0', model: 'quick', rollback: 'Redeploy 1.3.0', evidence: 'CI green', start: at }));
    expect(await state(id)).toBe('submitted');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await h.command('U0APP2', `approve REL-${id}`, { channel: 'C0SHOP' });
    await checklistFor('shop', id, 'canary');
    expect(await state(id)).toBe('in_progress');
    await h.command('U0DEV', `abort REL-${id} test over`, { channel: 'C0SHOP' });
    const resumed = await h.command('U0DEV', `resume REL-${id}`, { channel: 'C0SHOP' });
    expect(resumed.reply!.text).toContain('can only be rolled back');
  });
});

describe('the calendar at run time', () => {
  it('holds a wave due in a freeze and says so, and lets an emergency with bypass_freeze go ahead on the record', async () => {
    const id = await authorised('frozen', '1.0.0', new Date(Date.now() + 1_000));
    await waitFor(async () => (await h.relm.db.selectFrom('releases').select('rollout_note').where('id', '=', id).executeTakeFirstOrThrow()).rollout_note?.includes('Test freeze'), 'the freeze note');
    await h.settle();
    const card = findCard(h.slack, 'C0FRZ', id)!;
    // The next slot is a Slack date, shown in each reader's own timezone.
    expect(JSON.stringify(card.blocks)).toMatch(/canary waits for the freeze \\"Test freeze\\": next slot <!date\^\d+\^/);
    const steps = await h.relm.db.selectFrom('rollout_steps').select('state').where('release_id', '=', id).execute();
    expect(steps.map((s) => s.state)).toEqual(['pending']);

    const emergency = await authorised('frozen', '1.0.1', new Date(Date.now() + 1_000), { type: 'emergency', user: 'U0DEV' });
    await checklistFor('frozen', emergency, 'canary');
    const audit = await h.relm.db.selectFrom('audit_log').select('action').where('release_id', '=', emergency).execute();
    expect(audit.map((a) => a.action)).toContain('freeze_bypassed');
    await h.settle();
    expect(JSON.stringify(findCard(h.slack, 'C0FRZ', emergency)!.blocks)).toContain('went ahead in a freeze');
  });

  it('refuses impossible schedules and plans with a clear reason', async () => {
    const past = await h.command('U0DEV', 'new shop 9.0.0 --at 2020-01-01T10:00:00Z', { channel: 'C0SHOP' });
    expect(past.reply!.text).toMatch(/The planned start <!date\^1577872800\^[^>]*> is in the past \(it is now <!date\^\d+\^/);
    const model = await h.command('U0DEV', 'new shop 9.0.0 --model nope', { channel: 'C0SHOP' });
    expect(model.reply!.text).toContain('Unknown deployment model "nope"');
    const target = await h.command('U0DEV', 'new shop 9.0.0 --waves "canary=mars-1"', { channel: 'C0SHOP' });
    expect(target.reply!.text).toContain('Unknown target "mars-1"');
    const calendar = await h.command('U0DEV', 'calendar 30', { channel: 'C0SHOP' });
    expect(calendar.reply!.text).toContain('Forward schedule of change');
    expect(calendar.reply!.text).toContain('Freeze');
  });
});

describe('the webhook deployer', () => {
  it('signs each call, retries a 5xx with the same idempotency key, verifies, and takes a result by signed callback', async () => {
    deployer.answers.set('one', [{ status: 500 }, { status: 200, body: { status: 'succeeded' } }]);
    deployer.answers.set('two', [{ status: 202 }]);
    deployer.health.push(503, 503);
    const id = await authorised('hooks', '1.0.0', new Date(Date.now() + 1_000));
    await waitFor(() => deployer.calls.some((c) => c.body.wave === 'two'), 'the second wave to be called', 20_000);

    const one = deployer.calls.filter((c) => c.body.wave === 'one');
    expect(one).toHaveLength(2);
    expect(new Set(one.map((c) => c.idempotencyKey)).size).toBe(1);
    expect(deployer.calls.every((c) => c.signatureValid)).toBe(true);
    expect(deployer.healthHits).toBeGreaterThanOrEqual(3);
    const two = deployer.calls.find((c) => c.body.wave === 'two')!;
    expect(two.body).toMatchObject({ release: { key: `REL-${id}`, service: 'hooks', version: '1.0.0' }, action: 'deploy', targets: ['b'] });

    const forged = deployer.signedCallback({ idempotency_key: two.idempotencyKey, status: 'succeeded' }, 'wrong-secret');
    const refused = await fetch(`${h.baseUrl}/webhooks/deploy`, { method: 'POST', body: forged.body, headers: forged.headers });
    expect(refused.status).toBe(401);
    expect(await state(id)).toBe('in_progress');

    const genuine = deployer.signedCallback({ idempotency_key: two.idempotencyKey, status: 'succeeded', detail: 'deployed b' });
    const accepted = await fetch(`${h.baseUrl}/webhooks/deploy`, { method: 'POST', body: genuine.body, headers: genuine.headers });
    expect(accepted.status).toBe(200);
    await waitFor(async () => (await state(id)) === 'completed', 'the webhook rollout to complete');
    const again = await fetch(`${h.baseUrl}/webhooks/deploy`, { method: 'POST', body: genuine.body, headers: genuine.headers });
    expect(again.status).toBe(200); // a repeated callback changes nothing
    expect(await state(id)).toBe('completed');
  }, 40_000);
});

describe('many waves due at once', () => {
  it('starts each first wave once when batches of ticks overlap, and keeps every audit chain intact', async () => {
    const at = new Date(Date.now() + 4_000);
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(await authorised('shop', `7.0.${i}`, at));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at.getTime() - Date.now() + 20)));
    // Three workers' batches over the same releases at the same moment, besides the queue's own wake-ups.
    const results = await Promise.all([advanceRollouts(h.relm.ctx, ids, { skipLocked: true }), advanceRollouts(h.relm.ctx, [...ids].reverse()), advanceRollouts(h.relm.ctx, [ids[2]!, 987_654], { skipLocked: true })]);
    expect(results[2].releases.has(987_654)).toBe(false);
    expect(results[2].busy).not.toContain(987_654);
    // Each release was ticked by whichever batch locked it first; the others skipped it as busy.
    for (const id of ids) {
      const ticked = results.map((r) => r.releases.get(id)).filter((r) => r !== undefined);
      expect(ticked.length).toBeGreaterThanOrEqual(1);
      for (const r of ticked) expect(['in_progress', 'completed']).toContain(r.state);
    }
    await h.settle();
    const steps = await h.relm.db.selectFrom('rollout_steps').select(['release_id', 'wave_index', 'try']).where('release_id', 'in', ids).where('wave_index', '=', 0).execute();
    expect(steps.map((s) => s.release_id).sort()).toEqual([...ids].sort());
    const started = await h.relm.db.selectFrom('audit_log').select('release_id').where('release_id', 'in', ids).where('action', '=', 'wave_started').execute();
    for (const id of ids) expect(started.filter((s) => s.release_id === id)).toHaveLength(1);
    expect(await verifyAuditTrail(h.relm.ctx)).toMatchObject({ ok: true });
  });

  it('does not wait for a release another transaction holds: the others start, the held one is reported busy', async () => {
    const at = new Date(Date.now() + 2_500);
    const held = await authorised('shop', '7.1.0', at);
    const free = await authorised('shop', '7.1.1', at);
    let letGo!: () => void;
    const locked = new Promise<void>((resolve) => (letGo = resolve));
    let holding!: () => void;
    const isHeld = new Promise<void>((resolve) => (holding = resolve));
    const holder = h.relm.db.transaction().execute(async (trx) => {
      await trx.selectFrom('releases').select('id').where('id', '=', held).forUpdate().execute();
      holding();
      await locked;
    });
    await isHeld;
    try {
      // Both fall due together, so the workers tick them in one batch: the held one must not stop the other.
      await waitFor(async () => (await state(free)) === 'in_progress', 'the free release to start while the other is held', 10_000);
      expect(await state(held)).toBe('scheduled');
      const outcome = await advanceRollouts(h.relm.ctx, [held, free], { skipLocked: true });
      expect(outcome.busy).toContain(held);
      expect(outcome.releases.has(held)).toBe(false);
    } finally {
      letGo();
      await holder;
    }
    await waitFor(async () => (await state(held)) === 'in_progress', 'the held release to start once let go', 10_000);
  });
});
