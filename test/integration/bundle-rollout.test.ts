import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { buttonsOf, planValues } from '../support/slack-views.ts';
import { BUNDLE_ACTIONS, PLAN_FIELDS, REJECT_FIELDS, VALUE } from '../../src/bot/blocks/ids.ts';
import { completeStep } from '../../src/core/usecases/rollout/steps.ts';
import type { EmulatedMessage } from '../../src/console/slack-emulator.ts';

// A bundle's rollout on real PostgreSQL and Redis: members roll out one after another, a failed member
// pauses the bundle (retry, continue, roll back), and a rollback goes through the started members in reverse.
let h: Harness;

function writeConfig(): string {
  const yaml = `
timezone: UTC
release_managers: [U0RM]
groups:
  approvers: [U0APP1, U0APP2]
services:
  ledger: { name: Ledger, channel: C0TRAIN, policy: open, deployment_model: one }
  payments: { name: Payments, channel: C0TRAIN, policy: open, deployment_model: one }
  search: { name: Search, channel: C0TRAIN, policy: open, deployment_model: one }
policies:
  open:
    approvals:
      minor: { required: 1, from: [approvers] }
deployment_models:
  one:
    deployer: manual
    waves:
      - { name: only, targets: [eu-1], checklist: [Deploy it] }
`;
  const dir = mkdtempSync(join(tmpdir(), 'relm-bundle-rollout-'));
  const file = join(dir, 'relm.yml');
  writeFileSync(file, yaml);
  return file;
}

beforeAll(async () => {
  h = await startHarness({ store: 'postgres', config: writeConfig() });
});

afterAll(async () => {
  await h?.stop();
});

const idOf = (text: string, prefix = 'REL') => Number(new RegExp(`${prefix}-(\\d+)`).exec(text)![1]);
let version = 0;

/** A complete draft (no planned start of its own): the bundle decides when it goes. */
async function draft(service: string): Promise<number> {
  version++;
  const reply = await h.command('U0DEV', `new ${service} 1.${version}.0 --type minor --rollback "Redeploy the previous version" --tests "CI green"`, { channel: 'C0TRAIN' });
  if (!/REL-\d+/.test(reply.reply?.text ?? '')) throw new Error(`not planned: ${JSON.stringify(reply)}`);
  return idOf(reply.reply!.text);
}

/** A bundle of these members, approved by U0APP1; returns its id. */
async function approvedBundle(members: number[], at?: Date): Promise<number> {
  const made = (await h.command('U0DEV', `bundle new "Train ${version}"${at ? ` --at ${at.toISOString()}` : ''}`, { channel: 'C0TRAIN' })).reply!.text;
  const bundle = idOf(made, 'BUN');
  await h.command('U0DEV', `bundle add BUN-${bundle} ${members.map((m) => `REL-${m}`).join(' ')}`, { channel: 'C0TRAIN' });
  const approved = (await h.command('U0APP1', `bundle approve BUN-${bundle}`, { channel: 'C0TRAIN' })).reply!.text;
  expect(approved).toContain('Approved');
  return bundle;
}

async function state(id: number): Promise<string> {
  return (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
}

async function bundleState(id: number): Promise<string> {
  return (await h.relm.db.selectFrom('bundles').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
}

async function steps(id: number) {
  return h.relm.db.selectFrom('rollout_steps').select(['id', 'kind', 'state', 'try']).where('release_id', '=', id).orderBy('id').execute();
}

/** Waits for the release's step of this kind to be running, and gives its verdict as its deployer would. */
async function finishStep(id: number, outcome: 'succeeded' | 'failed', kind: 'deploy' | 'rollback' = 'deploy'): Promise<number> {
  const step = await waitFor(async () => (await steps(id)).find((s) => s.kind === kind && s.state === 'running'), `a running ${kind} step of REL-${id}`, 20_000);
  // The manual deployer's checklist is posted first, as an installer would see it before reporting.
  const label = `${kind === 'deploy' ? 'Deploy' : 'Roll back'} wave only of REL-${id}`;
  const tries = (await steps(id)).filter((s) => s.kind === kind).length;
  await waitFor(() => (h.slack.messages.filter((m) => m.text.startsWith(label)).length >= tries ? true : undefined), `the checklist of REL-${id}`);
  await completeStep(h.relm.ctx, step.id, outcome, 'U0INST', outcome === 'failed' ? 'error rate up' : null);
  return step.id;
}

function bundleCard(bundle: number): EmulatedMessage | undefined {
  return h.slack.channelMessages('C0TRAIN').find((m) => m.blocks[0]?.text?.text?.startsWith(`*BUN-${bundle} `));
}

describe('the bundle card', () => {
  it('is the one approval request: it names the approvers, its button approves for every member, and owners are refused', async () => {
    const [ledger, payments] = [await draft('ledger'), await draft('payments')];
    const bundle = idOf((await h.command('U0DEV', 'bundle new "Card <train>"', { channel: 'C0TRAIN' })).reply!.text, 'BUN');
    await h.command('U0DEV', `bundle add BUN-${bundle} REL-${ledger} REL-${payments}`, { channel: 'C0TRAIN' });
    const card = await waitFor(() => bundleCard(bundle), 'the bundle card');
    expect(card.blocks[0].text.text).toContain('Card &lt;train&gt;');
    expect(JSON.stringify(card.blocks)).toContain('Approvers: <@U0APP1>, <@U0APP2>');
    expect(buttonsOf(card).map((b) => b.action_id)).toEqual([BUNDLE_ACTIONS.approve]);
    const own = await h.click('U0DEV', BUNDLE_ACTIONS.approve, String(bundle), card);
    expect(own.reply!.text).toContain('You own a release in this bundle');
    const approved = await h.click('U0APP2', BUNDLE_ACTIONS.approve, String(bundle), card);
    expect(approved.reply!.text).toContain(`BUN-${bundle} is approved`);
    expect([await state(ledger!), await state(payments!)]).toEqual(['approved', 'approved']);
    const decisions = await h.relm.db.selectFrom('decisions').select(['release_id', 'approver', 'comment']).where('release_id', 'in', [ledger!, payments!]).orderBy('release_id').execute();
    expect(decisions).toEqual([
      { release_id: ledger, approver: 'U0APP2', comment: `via BUN-${bundle}` },
      { release_id: payments, approver: 'U0APP2', comment: `via BUN-${bundle}` },
    ]);
    // No member sent an approval request of its own: the bundle's card was the one request.
    expect(h.slack.messages.filter((m) => m.text.startsWith(`Approval requested for REL-${ledger} `) || m.text.startsWith(`Approval requested for REL-${payments} `))).toEqual([]);
    await waitFor(() => (buttonsOf(bundleCard(bundle)!).map((b) => b.action_id).join() === BUNDLE_ACTIONS.start ? true : undefined), 'the card to offer Start');
  });
});

describe('the planning form', () => {
  it('offers the open bundles, joins the chosen one, and shows the bundle when the plan is edited', async () => {
    const bundle = idOf((await h.command('U0DEV', 'bundle new "Form train"', { channel: 'C0TRAIN' })).reply!.text, 'BUN');
    const opened = await h.command('U0DEV', 'new', { channel: 'C0TRAIN' });
    const block = opened.view.blocks.find((b: any) => b.block_id === PLAN_FIELDS.bundle);
    expect(block.optional).toBe(true);
    expect(block.element.options.map((o: any) => o.text.text)).toContain(`BUN-${bundle} Form train`);
    const values = {
      ...planValues({ service: 'search', version: '0.0.1', model: 'one', rollback: 'Redeploy', evidence: 'CI green' }),
      [PLAN_FIELDS.bundle]: { [VALUE]: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: `BUN-${bundle} Form train` }, value: String(bundle) } } },
    };
    expect((await h.submitView('U0DEV', opened.view, values)).body).toBeUndefined();
    const reply = await waitFor(() => h.slack.ephemerals.find((e) => e.text.includes(`Added to BUN-${bundle}`)), 'the answer');
    const id = idOf(reply.text);
    const members = await h.relm.db.selectFrom('bundle_members').select('release_id').where('bundle_id', '=', bundle).execute();
    expect(members.map((m) => m.release_id)).toEqual([id]);
    const edit = await h.command('U0DEV', `edit REL-${id}`, { channel: 'C0TRAIN' });
    expect(JSON.stringify(edit.view.blocks)).toContain(`In bundle BUN-${bundle}`);
    expect(edit.view.blocks.some((b: any) => b.block_id === PLAN_FIELDS.bundle)).toBe(false);
  });
});

describe('a bundle rolls out its members in order', () => {
  it('runs the next member only when the one before completes; a failed second member pauses the bundle, the first stays; continue goes on', async () => {
    const [ledger, payments, search] = [await draft('ledger'), await draft('payments'), await draft('search')];
    const bundle = await approvedBundle([ledger!, payments!, search!]);
    // Approved without a time: authorised, but nothing moves until the bundle is started.
    expect(await state(ledger!)).toBe('approved');
    const refused = (await h.command('U0DEV', `start REL-${payments}`, { channel: 'C0TRAIN' })).reply!.text;
    expect(refused).toContain(`is in BUN-${bundle}`);
    const outsider = (await h.command('U0NOBODY', `bundle start BUN-${bundle}`, { channel: 'C0TRAIN' })).reply!.text;
    expect(outsider).toContain('can start');
    expect((await h.command('U0DEV', `bundle start BUN-${bundle}`, { channel: 'C0TRAIN' })).reply!.text).toContain('is starting');

    await finishStep(ledger!, 'succeeded');
    await waitFor(async () => ((await state(ledger!)) === 'completed' ? true : undefined), 'the first member to complete');
    // Only now the second member starts; the third has not moved.
    await finishStep(payments!, 'failed');
    await waitFor(async () => ((await bundleState(bundle)) === 'paused' ? true : undefined), 'the bundle to pause');
    await h.settle();
    expect(await state(ledger!)).toBe('completed');
    expect((await steps(ledger!)).map((s) => s.kind)).toEqual(['deploy']);
    expect(await state(payments!)).toBe('paused');
    expect(await steps(search!)).toEqual([]);
    expect(await state(search!)).toBe('approved');

    const card = await waitFor(() => {
      const found = bundleCard(bundle);
      return found && JSON.stringify(found.blocks).includes(':x: failed') ? found : undefined;
    }, 'the bundle card to show the failure');
    expect(buttonsOf(card).map((b) => b.action_id)).toEqual([BUNDLE_ACTIONS.retry, BUNDLE_ACTIONS.continue, BUNDLE_ACTIONS.rollback]);
    expect(card.blocks[1].text.text).toMatch(new RegExp(`1\\. \\*REL-${ledger}\\* ledger [^\\n]*completed\\n2\\. \\*REL-${payments}\\* payments [^\\n]*failed\\n3\\. \\*REL-${search}\\* search [^\\n]*waiting`));

    const continued = await h.click('U0DEV', BUNDLE_ACTIONS.continue, String(bundle), card);
    expect(continued.reply!.text).toContain('goes on with the next release');
    await finishStep(search!, 'succeeded');
    await waitFor(async () => ((await bundleState(bundle)) === 'completed' ? true : undefined), 'the bundle to complete');
    expect(await state(payments!)).toBe('failed');
    expect((await steps(payments!)).map((s) => s.kind)).toEqual(['deploy']);
    expect(await state(search!)).toBe('completed');
    const audit = await h.relm.db.selectFrom('audit_log').select(['action', 'actor']).where('release_id', '=', payments!).where('action', 'like', 'bundle_%').orderBy('seq').execute();
    expect(audit.map((a) => a.action)).toEqual(['bundle_member_added', 'bundle_approval_given', 'bundle_started', 'bundle_paused', 'bundle_continued', 'bundle_completed']);
  });

  it('retries the failed member as a new try, and goes on when it succeeds', async () => {
    const [ledger, payments] = [await draft('ledger'), await draft('payments')];
    const bundle = await approvedBundle([ledger!, payments!]);
    await h.command('U0DEV', `bundle start BUN-${bundle}`, { channel: 'C0TRAIN' });
    // A member waiting its turn in a bundle that is rolling out keeps the plan its approvers saw.
    const edit = (await h.command('U0DEV', `edit REL-${payments} --title "Something else"`, { channel: 'C0TRAIN' })).reply!.text;
    expect(edit).toContain(`REL-${payments} is in BUN-${bundle}, which is in progress: its plan cannot change now`);
    expect(await state(payments!)).toBe('approved');
    await finishStep(ledger!, 'failed');
    await waitFor(async () => ((await bundleState(bundle)) === 'paused' ? true : undefined), 'the bundle to pause');
    expect(await steps(payments!)).toEqual([]);
    expect((await h.command('U0DEV', `bundle retry BUN-${bundle}`, { channel: 'C0TRAIN' })).reply!.text).toContain('Retrying');
    await finishStep(ledger!, 'succeeded');
    await finishStep(payments!, 'succeeded');
    await waitFor(async () => ((await bundleState(bundle)) === 'completed' ? true : undefined), 'the bundle to complete');
    expect((await steps(ledger!)).map((s) => [s.try, s.state])).toEqual([
      [1, 'failed'],
      [2, 'succeeded'],
    ]);
  });

  it('rolls back the started members in reverse order, leaving the one that never started', async () => {
    const [ledger, payments, search] = [await draft('ledger'), await draft('payments'), await draft('search')];
    const bundle = await approvedBundle([ledger!, payments!, search!]);
    await h.command('U0DEV', `bundle start BUN-${bundle}`, { channel: 'C0TRAIN' });
    await finishStep(ledger!, 'succeeded');
    await finishStep(payments!, 'failed');
    await waitFor(async () => ((await bundleState(bundle)) === 'paused' ? true : undefined), 'the bundle to pause');
    const noReason = (await h.command('U0DEV', `bundle rollback BUN-${bundle}`, { channel: 'C0TRAIN' })).reply!.text;
    expect(noReason).toContain('needs a reason');
    // From the card: the button asks for the reason in a modal.
    const card = await waitFor(() => bundleCard(bundle), 'the bundle card');
    const opened = await h.click('U0DEV', BUNDLE_ACTIONS.rollback, String(bundle), card);
    expect(opened.view.title.text).toBe(`Roll back BUN-${bundle}`);
    const submitted = await h.submitView('U0DEV', opened.view, { [REJECT_FIELDS.reason]: { [VALUE]: { type: 'plain_text_input', value: 'payments broke the ledger sync' } } });
    expect(submitted.body).toBeUndefined();

    const payBack = await finishStep(payments!, 'succeeded', 'rollback');
    await waitFor(async () => ((await state(payments!)) === 'rolled_back' ? true : undefined), 'the second member to be rolled back');
    const ledgerBack = await finishStep(ledger!, 'succeeded', 'rollback');
    await waitFor(async () => ((await bundleState(bundle)) === 'rolled_back' ? true : undefined), 'the bundle to be rolled back');
    expect(payBack).toBeLessThan(ledgerBack);
    expect(await state(ledger!)).toBe('rolled_back');
    expect(await state(search!)).toBe('approved');
    expect(await steps(search!)).toEqual([]);
  });

  it('pauses on a member aborted by hand: retry is refused with what to do instead, continue goes on', async () => {
    const [ledger, payments] = [await draft('ledger'), await draft('payments')];
    const bundle = await approvedBundle([ledger!, payments!]);
    await h.command('U0DEV', `bundle start BUN-${bundle}`, { channel: 'C0TRAIN' });
    await waitFor(async () => ((await state(ledger!)) === 'in_progress' ? true : undefined), 'the first member to start');
    await h.command('U0DEV', `abort REL-${ledger} wrong build`, { channel: 'C0TRAIN' });
    await waitFor(async () => ((await bundleState(bundle)) === 'paused' ? true : undefined), 'the bundle to pause');
    const retry = (await h.command('U0DEV', `bundle retry BUN-${bundle}`, { channel: 'C0TRAIN' })).reply!.text;
    expect(retry).toContain(`REL-${ledger} is failed, so there is no failed wave to run again`);
    await h.command('U0RM', `bundle continue BUN-${bundle}`, { channel: 'C0TRAIN' });
    await finishStep(payments!, 'succeeded');
    await waitFor(async () => ((await bundleState(bundle)) === 'completed' ? true : undefined), 'the bundle to complete');
    expect(await state(ledger!)).toBe('failed');
  });

  it('starts by itself at the bundle\'s time', async () => {
    const [ledger, payments] = [await draft('ledger'), await draft('payments')];
    const bundle = await approvedBundle([ledger!, payments!], new Date(Date.now() + 2_000));
    expect(await steps(ledger!)).toEqual([]);
    await finishStep(ledger!, 'succeeded');
    await finishStep(payments!, 'succeeded');
    await waitFor(async () => ((await bundleState(bundle)) === 'completed' ? true : undefined), 'the bundle to complete');
  });
});
