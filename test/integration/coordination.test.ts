import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { findCard } from '../support/slack-views.ts';
import { advanceRollout, advanceRollouts } from '../../src/core/usecases/rollout/advance.ts';
import { completeStep } from '../../src/core/usecases/rollout/steps.ts';
import { verifyAuditTrail } from '../../src/core/usecases/audit-trail.ts';

// Conflicts, deploy locks, risk assessment and whoami, on real PostgreSQL and Redis, with the fake Slack.
// Time is the test's own clock: `skew` moves it forward (a lock that expires mid-rollout).
let skew = 0;
const clock = () => new Date(Date.now() + skew);
let h: Harness;

function writeConfig(): string {
  const yaml = `
timezone: UTC
release_managers: [U0RM]
installers: [U0INST]
groups:
  approvers: [U0APP1, U0APP2]
services:
  shop: { name: Shop, channel: C0SHOP, policy: open, deployment_model: quick, members: [U0DEV] }
  orders: { name: Orders, channel: C0ORD, policy: open, deployment_model: shared }
  stock: { name: Stock, channel: C0STK, policy: open, deployment_model: shared }
  cal: { name: Calendar, channel: C0CAL, policy: open, deployment_model: calm }
  risky: { name: Risky, channel: C0RSK, policy: scored, deployment_model: wide }
  urgent: { name: Urgent, channel: C0URG, policy: passes, deployment_model: lone }
  east: { name: East, channel: C0EAST, policy: open, deployment_model: xshared }
  west: { name: West, channel: C0WEST, policy: open, deployment_model: xshared }
policies:
  open:
    approvals:
      minor: { required: 1, from: [approvers] }
      major: { required: 1, from: [approvers] }
      emergency: { required: 1, from: [U0RM] }
  scored:
    approvals:
      minor: { required: 1, from: [approvers] }
      major: { required: 1, from: [approvers] }
      high_risk: { required: 2, from: [approvers] }
    risk:
      type: { major: 4, minor: 1 }
      targets: { over: 2, points: 2 }
      no_test_evidence: 3
      recent_failures: { within: 30d, points: 2 }
      medium: 3
      high: 6
  passes:
    approvals:
      minor: { required: 1, from: [approvers] }
      emergency: { required: 1, from: [U0RM], passes_locks: true }
deployment_models:
  quick:
    waves:
      - { name: canary, targets: [eu-1], bake: 1s }
      - { name: rest, targets: [eu-2, us-1] }
  shared:
    waves:
      - { name: only, targets: [ap-1] }
  calm:
    waves:
      - { name: only, targets: [c-1], bake: 30m }
  wide:
    waves:
      - { name: all, targets: [w-1, w-2, w-3] }
  lone:
    waves:
      - { name: only, targets: [zz-1] }
  xshared:
    waves:
      - { name: only, targets: [x-1] }
`;
  const dir = mkdtempSync(join(tmpdir(), 'relm-coordination-'));
  const file = join(dir, 'relm.yml');
  writeFileSync(file, yaml);
  return file;
}

const CHANNELS: Record<string, string> = { east: 'C0EAST', west: 'C0WEST', shop: 'C0SHOP', orders: 'C0ORD', stock: 'C0STK', cal: 'C0CAL', risky: 'C0RSK', urgent: 'C0URG' };

beforeAll(async () => {
  h = await startHarness({ store: 'postgres', config: writeConfig(), clock });
});

afterAll(async () => {
  await h?.stop();
});

const idOf = (text: string) => Number(/REL-(\d+)/.exec(text)![1]);

async function release(id: number) {
  return h.relm.db.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function steps(id: number) {
  return h.relm.db.selectFrom('rollout_steps').selectAll().where('release_id', '=', id).orderBy('id').execute();
}

async function actions(id: number): Promise<{ action: string; actor: string; after: any }[]> {
  return h.relm.db.selectFrom('audit_log').select(['action', 'actor', 'after']).where('release_id', '=', id).orderBy('seq').execute();
}

/** Plans, submits and approves a release; returns its id and the plan's answer. */
async function authorised(service: string, version: string, at: Date, options: { type?: string; user?: string; approver?: string } = {}): Promise<number> {
  const channel = CHANNELS[service]!;
  const user = options.user ?? 'U0DEV';
  const planned = await h.command(user, `new ${service} ${version} --type ${options.type ?? 'minor'} --at ${at.toISOString()} --rollback "Redeploy the previous version" --tests "CI green"`, { channel });
  const id = idOf(planned.reply!.text);
  await h.command(user, `submit REL-${id}`, { channel });
  const approved = await h.command(options.approver ?? 'U0APP1', `approve REL-${id}`, { channel });
  expect(approved.reply!.text).toContain('authorised');
  return id;
}

/** Reports a manual wave done once its checklist is posted (as an installer's Done button would). */
async function done(step: { id: number; idempotency_key: string }): Promise<void> {
  await waitFor(async () => (await h.relm.db.selectFrom('outbox').select('state').where('dedupe_key', '=', `deploy:${step.idempotency_key}`).executeTakeFirst())?.state === 'done', 'the checklist to be posted');
  await completeStep(h.relm.ctx, step.id, 'succeeded', 'U0INST', null);
}

const minutes = (n: number) => new Date(clock().getTime() + n * 60_000);

describe('conflicts', () => {
  it('finds a conflict across a reschedule: REL-2 moved onto REL-1\'s span shows on both, in the reply, the cards and the calendar', async () => {
    const first = await authorised('cal', '1.0.0', minutes(120));
    const secondPlan = await h.command('U0DEV', `new cal 1.1.0 --at ${minutes(360).toISOString()} --rollback "Redeploy" --tests "CI green"`, { channel: 'C0CAL' });
    const second = idOf(secondPlan.reply!.text);
    // Four hours apart, a 45-minute rollout: no overlap yet.
    expect(secondPlan.reply!.text).not.toContain('overlaps');

    const moved = await h.command('U0DEV', `schedule REL-${second} ${minutes(130).toISOString()}`, { channel: 'C0CAL' });
    expect(moved.reply!.text).toContain(`overlaps REL-${first} on c-1, <!date^`);
    await h.settle();
    const firstCard = JSON.stringify(findCard(h.slack, 'C0CAL', first)!.blocks);
    expect(firstCard).toContain(`overlaps REL-${second} on c-1`);
    expect(JSON.stringify(findCard(h.slack, 'C0CAL', second)!.blocks)).toContain(`overlaps REL-${first} on c-1`);
    const show = await h.command('U0DEV', `show REL-${second}`, { channel: 'C0CAL' });
    expect(show.reply!.text).toContain(`overlaps REL-${first} on c-1`);
    const calendar = await h.command('U0DEV', 'calendar 2', { channel: 'C0CAL' });
    expect(calendar.reply!.text).toMatch(/overlapping pairs?/);
    expect(calendar.reply!.text).toContain(`overlaps REL-${second} on c-1`);

    // Moved away again, the conflict goes from REL-1's card too.
    await h.command('U0DEV', `schedule REL-${second} ${minutes(600).toISOString()}`, { channel: 'C0CAL' });
    await h.settle();
    expect(JSON.stringify(findCard(h.slack, 'C0CAL', first)!.blocks)).not.toContain('overlaps');
  });

  it('a start waits while a conflicting rollout is under way; --force is for release managers and is audited; a scheduled start waits and goes when the others end', async () => {
    const a = await authorised('orders', '1.0.0', minutes(60));
    const b = await authorised('stock', '1.0.0', minutes(60));
    await h.command('U0DEV', `start REL-${a}`, { channel: 'C0ORD' });
    const aStep = await waitFor(async () => (await steps(a)).find((s) => s.state === 'running'), 'the first rollout to run');

    const waiting = await h.command('U0DEV', `start REL-${b}`, { channel: 'C0STK' });
    expect(waiting.reply!.text).toContain(`waits for *REL-${a}*`);
    await waitFor(async () => (await release(b)).rollout_note?.includes(`waits for REL-${a}`), 'the second to wait');
    expect((await steps(b)).every((s) => s.started_at === null)).toBe(true);
    await h.settle();
    expect(JSON.stringify(findCard(h.slack, 'C0STK', b)!.blocks)).toContain(`waits for REL-${a}`);

    const refused = await h.command('U0DEV', `start REL-${b} --force`, { channel: 'C0STK' });
    expect(refused.reply!.text).toContain('Only a release manager');
    expect((await release(b)).forced_by).toBeNull();
    expect((await actions(b)).map((e) => e.action)).not.toContain('start_forced');

    const forced = await h.command('U0RM', `start REL-${b} --force`, { channel: 'C0STK' });
    expect(forced.reply!.text).toContain('past any conflicting rollout');
    const bStep = await waitFor(async () => (await steps(b)).find((s) => s.state === 'running'), 'the forced rollout to run');
    const audit = await actions(b);
    expect(audit.find((e) => e.action === 'start_forced')).toMatchObject({ actor: 'U0RM' });
    await h.settle();
    const thread = h.slack.thread('C0STK', findCard(h.slack, 'C0STK', b)!.ts).map((m) => m.text).join('\n');
    expect(thread).toContain(`Wave only waits for a conflicting rollout to finish (REL-${a})`);
    expect(thread).toContain('started the rollout past any conflicting rollout');
    expect(audit.find((e) => e.action === 'conflict_overridden')!.after).toMatchObject({ forcedBy: 'U0RM', rollouts: [a] });

    // A scheduled start comes due while both run on ap-1: it waits, and starts once both have ended.
    const c = await authorised('orders', '1.1.0', new Date(clock().getTime() + 2_000));
    await waitFor(async () => (await release(c)).rollout_note?.includes('waits for'), 'the scheduled start to wait', 15_000);
    expect((await release(c)).state).toBe('in_progress');
    await done(aStep);
    await waitFor(async () => (await release(a)).state === 'completed', 'the first to complete');
    expect((await steps(c)).every((s) => s.started_at === null)).toBe(true);
    await done(bStep);
    await waitFor(async () => (await steps(c)).some((s) => s.state === 'running'), 'the waiting start to go once nothing conflicts');
    expect((await verifyAuditTrail(h.relm.ctx)).ok).toBe(true);
  });
});

describe('conflicts at the same instant', () => {
  it('two workers ticking two conflicting releases due together start one of them, and the other waits', async () => {
    const due = new Date(clock().getTime() + 1_500);
    const east = await authorised('east', '1.0.0', due);
    const west = await authorised('west', '1.0.0', due);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due.getTime() - clock().getTime() + 20)));
    await Promise.all([advanceRollouts(h.relm.ctx, [east]), advanceRollouts(h.relm.ctx, [west]), advanceRollouts(h.relm.ctx, [west, east])]);
    await h.settle();
    const started = await h.relm.db.selectFrom('rollout_steps').select('release_id').where('release_id', 'in', [east, west]).where('started_at', 'is not', null).execute();
    expect(started).toHaveLength(1);
    const waiting = started[0]!.release_id === east ? west : east;
    expect((await release(waiting)).rollout_note).toContain(`waits for REL-${started[0]!.release_id}`);
  });
});

describe('deploy locks', () => {
  it('refuses bad input with a clear answer and changes nothing', async () => {
    const cases: [string, string, string][] = [
      ['U0DEV', 'lock nosuch db migration', 'Unknown service "nosuch"'],
      ['U0DEV', 'lock shop ap-1 db migration', '"ap-1" is not a target of shop'],
      ['U0DEV', 'lock shop eu-1', 'needs a reason'],
      ['U0DEV', 'lock shop eu-1 db migration --for 30d', 'at most 7d'],
      ['U0DEV', 'lock shop eu-1 db migration --for soon', '`--for` takes a duration'],
      ['U0DEV', 'lock shop eu-1 db migration --for 0m', 'at least a minute'],
      ['U0NOBODY', 'lock shop eu-1 db migration', 'Only a release manager or a member of shop'],
      ['U0DEV', 'unlock shop', 'No lock is in force on shop'],
      ['U0DEV', 'unlock shop zz-9', '"zz-9" is not a target of shop'],
    ];
    const auditBefore = (await h.relm.db.selectFrom('audit_log').select('seq').where('release_id', 'is', null).execute()).length;
    for (const [user, text, answer] of cases) {
      const res = await h.command(user, text, { channel: 'C0SHOP' });
      expect(res.reply!.text, text).toContain(answer);
    }
    expect(await h.relm.db.selectFrom('deploy_locks').selectAll().execute()).toEqual([]);
    expect((await h.relm.db.selectFrom('audit_log').select('seq').where('release_id', 'is', null).execute()).length).toBe(auditBefore);
    const none = await h.command('U0DEV', 'locks', { channel: 'C0SHOP' });
    expect(none.reply!.text).toContain('No deploy lock is in force');
  });

  it('holds the wave that touches it, shows on the card and in the calendar, and lets the rollout go on when it expires mid-rollout', async () => {
    const id = await authorised('shop', '1.0.0', minutes(60));
    await h.command('U0DEV', `start REL-${id}`, { channel: 'C0SHOP' });
    const canary = await waitFor(async () => (await steps(id)).find((s) => s.wave_name === 'canary' && s.state === 'running'), 'the canary to run');

    const locked = await h.command('U0DEV', 'lock shop eu-2 "database migration on eu-2" --for 10m', { channel: 'C0SHOP' });
    expect(locked.reply!.text).toContain('Locked shop (eu-2) until');
    const [lock] = await h.relm.db.selectFrom('deploy_locks').selectAll().execute();
    expect(lock).toMatchObject({ service: 'shop', targets: ['eu-2'], reason: 'database migration on eu-2', locked_by: 'U0DEV', released_at: null });
    expect(lock!.expires_at.getTime() - lock!.created_at.getTime()).toBe(10 * 60_000);
    const global = await h.relm.db.selectFrom('audit_log').select(['action', 'actor']).where('release_id', 'is', null).execute();
    expect(global).toContainEqual({ action: 'lock_set', actor: 'U0DEV' });

    // The canary (eu-1) is not held; the next wave (eu-2, us-1) is, when it comes due after the bake.
    await done(canary);
    await waitFor(async () => (await release(id)).rollout_note?.includes('rest waits for the deploy lock'), 'the next wave to wait for the lock', 15_000);
    const rest = (await steps(id)).find((s) => s.wave_name === 'rest')!;
    expect(rest.state).toBe('pending');
    expect((await actions(id)).find((e) => e.action === 'wave_waiting')!.after).toMatchObject({ reason: 'lock', locks: [lock!.id] });
    await h.settle();
    const card = findCard(h.slack, 'C0SHOP', id)!;
    expect(JSON.stringify(card.blocks)).toContain('database migration on eu-2');
    expect(h.slack.thread('C0SHOP', card.ts).some((m) => m.text.includes('Wave rest waits for a deploy lock'))).toBe(true);
    expect((await h.command('U0DEV', 'calendar', { channel: 'C0SHOP' })).reply!.text).toContain('shop (eu-2) locked by <@U0DEV>');
    expect((await h.command('U0DEV', 'locks', { channel: 'C0SHOP' })).reply!.text).toContain('database migration on eu-2');

    // Ticking again before expiry changes nothing.
    await advanceRollout(h.relm.ctx, id);
    expect((await steps(id)).find((s) => s.wave_name === 'rest')!.state).toBe('pending');

    // Eleven minutes later by relm's clock the lock has expired by itself: the held wave goes on.
    skew += 11 * 60_000;
    await advanceRollout(h.relm.ctx, id);
    expect((await steps(id)).find((s) => s.wave_name === 'rest')!.state).toBe('running');
    expect((await h.command('U0DEV', 'locks', { channel: 'C0SHOP' })).reply!.text).toContain('No deploy lock is in force');
  });

  it('unlock removes a lock at once and wakes what it held; only an emergency whose policy says so passes a lock, audited', async () => {
    const id = await authorised('urgent', '1.0.0', minutes(60));
    const locked = await h.command('U0RM', 'lock urgent freeze for the audit', { channel: 'C0URG' });
    expect(locked.reply!.text).toContain('Locked urgent (every target)');
    await h.command('U0DEV', `start REL-${id}`, { channel: 'C0URG' });
    await waitFor(async () => (await release(id)).rollout_note?.includes('waits for the deploy lock'), 'the minor release to be held');

    const emergency = await h.command('U0DEV', `new urgent 1.0.1 --type emergency --at ${minutes(30).toISOString()} --rollback "Redeploy 1.0.0"`, { channel: 'C0URG' });
    const e = idOf(emergency.reply!.text);
    await h.command('U0DEV', `submit REL-${e}`, { channel: 'C0URG' });
    await h.command('U0RM', `approve REL-${e}`, { channel: 'C0URG' });
    await h.command('U0RM', `start REL-${e}`, { channel: 'C0URG' });
    await waitFor(async () => (await steps(e)).some((s) => s.state === 'running'), 'the emergency to pass the lock');
    expect((await actions(e)).find((a) => a.action === 'lock_passed')!.after).toMatchObject({ type: 'emergency', locks: [expect.objectContaining({ reason: 'freeze for the audit' })] });

    const unlocked = await h.command('U0RM', 'unlock urgent', { channel: 'C0URG' });
    expect(unlocked.reply!.text).toContain('Removed 1 lock');
    const row = (await h.relm.db.selectFrom('deploy_locks').selectAll().where('service', '=', 'urgent').execute())[0]!;
    expect(row.released_by).toBe('U0RM');
    expect((await h.relm.db.selectFrom('audit_log').select(['action', 'actor']).where('release_id', 'is', null).execute())).toContainEqual({ action: 'lock_removed', actor: 'U0RM' });
    // The held release is woken by the unlock (and waits only for the emergency, which is rolling out on zz-1).
    await waitFor(async () => !(await release(id)).rollout_note?.includes('deploy lock'), 'the held release to be woken');
    // Lock entries sit in the audit trail's global chain, which still verifies.
    expect((await verifyAuditTrail(h.relm.ctx)).ok).toBe(true);
  });
});

describe('risk assessment', () => {
  it('assesses the plan, and a high risk asks for the policy\'s extra approval', async () => {
    const planned = await h.command('U0DEV', `new risky 2.0.0 --type major --at ${minutes(60).toISOString()} --rollback "Redeploy 1.x" --tests "CI green"`, { channel: 'C0RSK' });
    expect(planned.reply!.text).toContain('relm assesses the risk as high: major release +4, 3 targets (more than 2) +2');
    const id = idOf(planned.reply!.text);
    expect(await release(id)).toMatchObject({ risk: 'high', assessed_risk: 'high' });
    await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0RSK' });
    await h.settle();
    const request = h.slack.messages.find((m) => m.channel === 'C0RSK' && m.text.startsWith(`Approval requested for REL-${id}`))!;
    expect(JSON.stringify(request.blocks)).toContain('Needs 2 approvals');
    expect(JSON.stringify(request.blocks)).toContain('assessed high: major release +4');

    const one = await h.command('U0APP1', `approve REL-${id}`, { channel: 'C0RSK' });
    expect(one.reply!.text).toContain('(1 of 2)');
    expect((await release(id)).state).toBe('submitted');
    const two = await h.command('U0APP2', `approve REL-${id}`, { channel: 'C0RSK' });
    expect(two.reply!.text).toContain('authorised');
    const show = await h.command('U0DEV', `show REL-${id}`, { channel: 'C0RSK' });
    expect(show.reply!.text).toContain('risk high (assessed high');

    // A minor with the same targets is medium: one approval, as the type's rule says.
    const minor = await h.command('U0DEV', `new risky 2.1.0 --type minor --rollback "Redeploy" --tests "CI green"`, { channel: 'C0RSK' });
    expect(minor.reply!.text).toContain('relm assesses the risk as medium');
  });

  it('refuses a risk stated below the assessment without a reason, and shows the reason to approvers when given', async () => {
    const before = (await h.relm.db.selectFrom('releases').select('id').execute()).length;
    const refused = await h.command('U0DEV', `new risky 3.0.0 --type major --risk low --rollback "Redeploy" --tests "CI green"`, { channel: 'C0RSK' });
    expect(refused.reply!.text).toContain("relm assesses this plan's risk as high");
    expect(refused.reply!.text).toContain('--risk-reason');
    expect((await h.relm.db.selectFrom('releases').select('id').execute()).length).toBe(before);

    const given = await h.command('U0DEV', `new risky 3.0.0 --type major --risk low --risk-reason "behind a feature flag, off for everyone" --rollback "Redeploy" --tests "CI green"`, { channel: 'C0RSK' });
    const id = idOf(given.reply!.text);
    expect(await release(id)).toMatchObject({ risk: 'low', assessed_risk: 'high', risk_reason: 'behind a feature flag, off for everyone' });
    expect((await actions(id)).find((e) => e.action === 'planned')!.after).toMatchObject({ risk: 'low', assessedRisk: 'high', riskReason: 'behind a feature flag, off for everyone' });
    await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0RSK' });
    await h.settle();
    const request = h.slack.messages.find((m) => m.channel === 'C0RSK' && m.text.startsWith(`Approval requested for REL-${id}`))!;
    const text = JSON.stringify(request.blocks);
    expect(text).toContain('the requester states low: \\"behind a feature flag, off for everyone\\"');
    // Stating less does not lower what the policy asks: still two approvals at high risk.
    expect(text).toContain('Needs 2 approvals');

    // Withdrawing the reason leaves the stated risk to rise with the assessment; lowering it again
    // without a reason is refused and changes nothing.
    const cleared = await h.command('U0DEV', `edit REL-${id} --risk-reason ""`, { channel: 'C0RSK' });
    expect(cleared.reply!.text).toContain('Updated');
    expect(await release(id)).toMatchObject({ risk: 'high', risk_reason: null });
    const revision = (await release(id)).revision;
    const lowered = await h.command('U0DEV', `edit REL-${id} --risk medium`, { channel: 'C0RSK' });
    expect(lowered.reply!.text).toContain("relm assesses this plan's risk as high");
    expect(await release(id)).toMatchObject({ risk: 'high', revision });
  });
});

describe('whoami', () => {
  it('tells each person what they may do on each service', async () => {
    const manager = (await h.command('U0RM', 'whoami', { channel: 'C0SHOP' })).reply!.text;
    expect(manager).toContain('you are a release manager');
    expect(manager).toMatch(/\*urgent\*: plan · approve emergency · install \(work checklists\) · manage releases/);
    const approver = (await h.command('U0APP1', 'whoami', { channel: 'C0SHOP' })).reply!.text;
    expect(approver).toMatch(/\*shop\*: plan · approve major, minor · lock/);
    expect(approver).toMatch(/\*risky\*: plan · approve major, minor · lock/);
    expect(approver).not.toContain('manage releases');
    const member = (await h.command('U0DEV', 'whoami', { channel: 'C0SHOP' })).reply!.text;
    expect(member).toMatch(/\*shop\*: plan · lock\n/);
    expect(member).toMatch(/\*orders\*: plan\n/);
    const installer = (await h.command('U0INST', 'whoami', { channel: 'C0SHOP' })).reply!.text;
    expect(installer).toContain('you are an installer');
    expect(installer).toMatch(/\*shop\*: plan · install \(work checklists\)\n/);
    const nobody = (await h.command('U0NOBODY', 'whoami', { channel: 'C0SHOP' })).reply!.text;
    expect(nobody).toMatch(/\*shop\*: plan\n/);
    expect(nobody).not.toContain('approve');
  });
});
