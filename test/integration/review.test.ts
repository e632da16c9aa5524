import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { FakeJira } from '../support/fake-jira.ts';
import { buttonsOf, findCard } from '../support/slack-views.ts';
import { ACTIONS, REVIEW_FIELDS } from '../../src/bot/blocks/ids.ts';
import type { EmulatedMessage } from '../../src/console/slack-emulator.ts';
import { rateRelease } from '../../src/core/usecases/rate.ts';
import { chaseReviews } from '../../src/core/usecases/chase-reviews.ts';

const DAY = 86_400_000;
let h: Harness;
let jira: FakeJira;
// relm's clock runs with real time (rollouts wait real seconds) plus an offset the test moves by days.
let offset = 0;

function reviewConfig(): string {
  const approvals = `{ minor: { required: 1, from: [approvers] }, emergency: { required: 1, from: [U0RM], bypass_freeze: true } }`;
  const yaml = `
timezone: UTC
release_managers: [U0RM]
installers: [U0INST]
groups:
  approvers: [U0APP1, U0APP2]
services:
  shop: { name: Shop, channel: C0SHOP, policy: open, deployment_model: quick, jira_project: CHG }
policies:
  open:
    approvals: ${approvals}
deployment_models:
  quick:
    deployer: manual
    review_after: 3d
    waves:
      - { name: canary, targets: [eu-1], bake: 1s, checklist: [Deploy eu-1] }
      - { name: rest, targets: [eu-2, us-1], checklist: [Deploy the rest], rollback: [Redeploy the previous image] }
`;
  const file = join(mkdtempSync(join(tmpdir(), 'relm-review-')), 'relm.yml');
  writeFileSync(file, yaml);
  return file;
}

beforeAll(async () => {
  jira = await new FakeJira().start();
  h = await startHarness({
    store: 'postgres',
    config: reviewConfig(),
    clock: () => new Date(Date.now() + offset),
    env: { JIRA_HOST: jira.url, JIRA_EMAIL: 'relm@example.com', JIRA_API_TOKEN: 'jira-api-token-123', RELM_HTTP_TIMEOUT_MS: '800' },
    httpRetryBaseMs: 10,
    effectRetry: { attempts: 6, firstDelayMs: 200, maxDelayMs: 1_000 },
  });
});

afterAll(async () => {
  await h?.stop();
  await jira?.stop();
});

const now = () => new Date(Date.now() + offset);

async function state(id: number): Promise<string> {
  return (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
}

/** Plans, submits and approves a shop release planned for `at`; returns its id. */
async function approved(version: string, at: Date): Promise<number> {
  const planned = await h.command('U0DEV', `new shop ${version} --at ${at.toISOString()} --rollback "Redeploy the previous version" --tests "CI green"`, { channel: 'C0SHOP' });
  const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
  await h.command('U0DEV', `submit REL-${id}`, { channel: 'C0SHOP' });
  const decided = await h.command('U0APP1', `approve REL-${id}`, { channel: 'C0SHOP' });
  expect(decided.reply!.text).toContain('it is authorised and scheduled for');
  return id;
}

async function checklist(id: number, wave: string, kind = 'Deploy'): Promise<EmulatedMessage> {
  return waitFor(() => {
    const card = findCard(h.slack, 'C0SHOP', id);
    return card ? h.slack.thread('C0SHOP', card.ts).find((m) => m.text.startsWith(`${kind} wave ${wave} of REL-${id}`)) : undefined;
  }, `the ${kind} checklist of ${wave}`, 15_000);
}

/** Ticks every item of a checklist and reports the step done. */
async function finish(message: EmulatedMessage): Promise<void> {
  for (const b of message.blocks.filter((b) => b.accessory?.action_id === ACTIONS.tick)) await h.click('U0INST', ACTIONS.tick, b.accessory.value, message, { wait: false });
  await waitFor(() => !JSON.stringify(h.slack.messages.find((m) => m.ts === message.ts)?.blocks ?? []).includes(':white_square:') || undefined, 'every tick');
  await h.settle();
  const done = buttonsOf(h.slack.messages.find((m) => m.ts === message.ts)!).find((b) => b.action_id === ACTIONS.stepDone)!;
  await h.click('U0INST', ACTIONS.stepDone, done.value, message);
}

function viewText(view: any): string {
  return view.blocks.map((b: any) => b.text?.text ?? (b.elements ?? []).map((e: any) => e.text ?? '').join(' ')).join('\n');
}

function reviewValues(fields: { well?: string; badly?: string; lessons?: string; actions?: string; jira?: boolean }) {
  const text = (value?: string) => ({ value: { type: 'plain_text_input', value: value ?? null } });
  return {
    [REVIEW_FIELDS.wentWell]: text(fields.well),
    [REVIEW_FIELDS.wentBadly]: text(fields.badly),
    [REVIEW_FIELDS.lessons]: text(fields.lessons),
    [REVIEW_FIELDS.actions]: text(fields.actions),
    [REVIEW_FIELDS.raiseInJira]: { value: { type: 'checkboxes', selected_options: fields.jira ? [{ value: 'yes' }] : [] } },
  };
}

const followUps = () => jira.created().filter((t) => t.fields.issuetype?.name === 'Task');

describe('the post-release review of a release that was rescheduled, paused and rolled back', () => {
  let id: number;

  it('opens a modal pre-filled with the timeline, each wave’s tries and results, the deviations, incidents and ratings', async () => {
    id = await approved('1.0.0', new Date(now().getTime() + 3_600_000));
    await h.settle();
    const ticket = await waitFor(async () => (await h.relm.db.selectFrom('releases').select('jira_key').where('id', '=', id).executeTakeFirstOrThrow()).jira_key, 'the change ticket');
    // Rescheduled to start in a moment.
    const moved = await h.command('U0DEV', `schedule REL-${id} ${new Date(now().getTime() + 1_500).toISOString()}`, { channel: 'C0SHOP' });
    expect(moved.reply!.text).toContain('REL-');
    const canary = await checklist(id, 'canary');
    expect((await h.command('U0DEV', `pause REL-${id}`, { channel: 'C0SHOP' })).reply!.text).toContain('Paused');
    await finish(canary);
    await h.command('U0DEV', `resume REL-${id}`, { channel: 'C0SHOP' });
    await checklist(id, 'rest');
    await h.command('U0DEV', `rollback REL-${id} error rate doubled in eu-2`, { channel: 'C0SHOP' });
    await finish(await checklist(id, 'rest', 'Roll back'));
    await finish(await checklist(id, 'canary', 'Roll back'));
    await waitFor(async () => (await state(id)) === 'rolled_back' || undefined, 'the rollback to finish', 15_000);
    await h.command('U0DEV', `incident REL-${id} INC-77 checkout errors`, { channel: 'C0SHOP' });
    await rateRelease(h.relm.ctx, 'U0USER1', id, 2);
    await rateRelease(h.relm.ctx, 'U0USER2', id, 3);
    await h.settle();

    const refused = await h.command('U0NOBODY', `review REL-${id}`, { channel: 'C0SHOP' });
    expect(refused.reply!.text).toContain('or a release manager can review it');
    const opened = await h.command('U0DEV', `review REL-${id}`, { channel: 'C0SHOP' });
    const text = viewText(opened.view);
    expect(opened.view.callback_id).toBe('relm_review');
    expect(opened.view.title.text).toBe(`Review REL-${id}`);
    expect(text).toContain(`*REL-${id}* shop 1.0.0`);
    expect(text).toContain(`Change ticket: ${ticket}`);
    for (const phase of ['Planning (planned → submitted)', 'Approval (submitted → approved)', 'Waiting to start (approved → started)', 'Rollout (started → finished)']) expect(text).toContain(phase);
    expect(text).toMatch(/• canary, try 1: succeeded in \d+s/);
    expect(text).toMatch(/• rest, try 1: cancelled/);
    expect(text).toMatch(/• rollback of rest, try 1: succeeded/);
    expect(text).toMatch(/• rollback of canary, try 1: succeeded/);
    expect(text).toContain(':calendar: Rescheduled');
    expect(text).toContain(':double_vertical_bar: Paused');
    expect(text).toMatch(/:rewind: Rolled back <!date\^\d+[^>]*> by <@U0DEV>: error rate doubled in eu-2/);
    expect(text).not.toContain('Plan revised');
    expect(text).toContain('*Incidents:* INC-77 checkout errors');
    expect(text).toContain('*Rating:* 2.5 of 5 from 2');
    // Nothing the reviewer writes is pre-filled yet; Jira is offered.
    const inputs = opened.view.blocks.filter((b: any) => b.type === 'input').map((b: any) => b.block_id);
    expect(inputs).toEqual([REVIEW_FIELDS.wentWell, REVIEW_FIELDS.wentBadly, REVIEW_FIELDS.lessons, REVIEW_FIELDS.actions, REVIEW_FIELDS.raiseInJira]);
    expect(opened.view.blocks.every((b: any) => (b.text?.text ?? '').length <= 3_000)).toBe(true);
    const show = await h.command('U0DEV', `show REL-${id}`, { channel: 'C0SHOP' });
    expect(show.reply!.text).toContain('Review due by <!date^');
  });

  it('stores the review, and raises each follow-up action in Jira once, linked to the change ticket, even when retried', async () => {
    const opened = await h.command('U0DEV', `review REL-${id}`, { channel: 'C0SHOP' });
    // Jira makes the first follow-up, then its gateway answers 503: a blind retry would make a second one.
    jira.faults.push({ status: 503, method: 'POST', path: /\/rest\/api\/3\/issue$/, after: true });
    const values = reviewValues({ well: 'The canary <caught> it', badly: 'The rollback runbook was stale', lessons: 'Database migrations must run online, with lock timeouts.', actions: '- Update the rollback runbook\n- Add an error-rate alarm to the canary', jira: true });
    const saved = await h.submitView('U0DEV', opened.view, values);
    expect(saved.status).toBe(200);
    expect(saved.body).toBeUndefined();
    await h.settle();
    const ticket = (await h.relm.db.selectFrom('releases').select('jira_key').where('id', '=', id).executeTakeFirstOrThrow()).jira_key!;
    await waitFor(() => followUps().length === 2 || undefined, 'two follow-up issues');
    // The same submission again (a retry, a double click): no new issue.
    await h.submitView('U0DEV', opened.view, values);
    await h.settle();
    expect(followUps().map((t) => t.fields.summary).sort()).toEqual(['Add an error-rate alarm to the canary', 'Update the rollback runbook']);
    expect(followUps().every((t) => t.fields.project.key === 'CHG' && t.fields.labels[0].startsWith(`relm-rel-${id}-follow-up-`))).toBe(true);
    expect(jira.linksOf(ticket).filter((l) => l.type === 'Relates').map((l) => l.key).sort()).toEqual(followUps().map((t) => t.key).sort());
    // The create carried the link to the change ticket, as Jira REST v3 takes it.
    const creates = jira.calls.filter((c) => c.method === 'POST' && c.path === '/rest/api/3/issue' && c.body.fields.issuetype.name === 'Task');
    // Two creates for two actions: the one whose answer was lost was found by its label on the retry, not made again.
    expect(creates).toHaveLength(2);
    const results = await h.relm.db.selectFrom('outbox').select(['result', 'attempts']).where('kind', '=', 'jira_follow_up').where('release_id', '=', id).orderBy('id').execute();
    expect(results.map((r) => (r.result as any).created)).toEqual([false, true]);
    expect(creates[0]!.body.update.issuelinks).toEqual([{ add: { type: { name: 'Relates' }, outwardIssue: { key: ticket } } }]);

    const row = await h.relm.db.selectFrom('reviews').selectAll().where('release_id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ author: 'U0DEV', editor: 'U0DEV', went_well: 'The canary <caught> it', actions: ['Update the rollback runbook', 'Add an error-rate alarm to the canary'], raise_in_jira: true, edits: 1 });

    // An edit by a release manager adds one action: one more issue, and the change is audited.
    const again = await h.command('U0RM', `review REL-${id}`, { channel: 'C0SHOP' });
    const prefilled = again.view.blocks.find((b: any) => b.block_id === REVIEW_FIELDS.actions).element.initial_value;
    expect(prefilled).toBe('Update the rollback runbook\nAdd an error-rate alarm to the canary');
    await h.submitView('U0RM', again.view, reviewValues({ ...{ well: 'The canary <caught> it', badly: 'The rollback runbook was stale', lessons: 'Database migrations must run online, with lock timeouts.' }, actions: `${prefilled}\nPage the DBA on-call for schema changes`, jira: true }));
    await h.settle();
    await waitFor(() => followUps().length === 3 || undefined, 'the third follow-up issue');
    const audit = await h.relm.db.selectFrom('audit_log').select(['action', 'actor', 'before', 'after']).where('release_id', '=', id).where('action', 'in', ['review_written', 'review_edited']).orderBy('seq').execute();
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['review_written', 'U0DEV'],
      ['review_edited', 'U0DEV'],
      ['review_edited', 'U0RM'],
    ]);
    expect((audit[2]!.before as any).actions).toHaveLength(2);
    expect((audit[2]!.after as any).actions).toHaveLength(3);
    expect((await h.command('U0DEV', `show REL-${id}`, { channel: 'C0SHOP' })).reply!.text).toContain('Reviewed by <@U0RM>');
    const card = findCard(h.slack, 'C0SHOP', id)!;
    expect(JSON.stringify(card.blocks)).toContain('Reviewed by <@U0RM>');
  });

  it('answers /release lessons with the matching release and its lesson, escaped', async () => {
    const found = await h.command('U0APP2', 'lessons migrating database', { channel: 'C0SHOP' });
    expect(found.reply!.text).toContain(`*REL-${id}* shop 1.0.0`);
    expect(found.reply!.text).toContain('*Database* *migrations* must run online');
    const none = await h.command('U0APP2', 'lessons kubernetes', { channel: 'C0SHOP' });
    expect(none.reply!.text).toContain('No past review mentions');
    const empty = await h.command('U0APP2', 'lessons', { channel: 'C0SHOP' });
    expect(empty.reply!.text).toContain('`lessons` needs words');
  });
});

describe('reminders of a required review', () => {
  it('remind the owner and the release managers of a failed release by DM, once per round, until the review is done', async () => {
    const id = await approved('1.1.0', new Date(now().getTime() + 1_500));
    await checklist(id, 'canary');
    const early = await h.command('U0DEV', `review REL-${id}`, { channel: 'C0SHOP' });
    expect(early.reply!.text).toContain('it can be reviewed once its rollout has finished');
    await h.command('U0DEV', `abort REL-${id} wrong build`, { channel: 'C0SHOP' });
    expect(await state(id)).toBe('failed');
    await h.settle();
    const reminders = () => h.slack.messages.filter((m) => m.channel.startsWith('D') && m.text.includes(`post-release review of *REL-${id}*`));
    const chase = async (days: number) => {
      offset = days * DAY;
      await chaseReviews(h.relm.ctx);
      await h.settle();
    };
    const opened = await h.command('U0DEV', `review REL-${id}`, { channel: 'C0SHOP' });
    await chase(1);
    expect(reminders()).toEqual([]);
    await chase(3.01);
    expect(reminders().map((m) => m.channel).sort()).toEqual(['D0DEV', 'D0RM']);
    expect(reminders()[0]!.text).toContain('was due <!date^');
    await chase(3.5);
    await chase(5);
    expect(reminders()).toHaveLength(2);
    expect((await h.command('U0DEV', `show REL-${id}`, { channel: 'C0SHOP' })).reply!.text).toContain('Review overdue since <!date^');
    expect(JSON.stringify(findCard(h.slack, 'C0SHOP', id)!.blocks)).toContain('Review overdue since');
    await chase(6.2);
    expect(reminders()).toHaveLength(4);
    expect(reminders()[3]!.text).toContain('(reminder 2)');

    await h.submitView('U0DEV', opened.view, reviewValues({ lessons: 'Check the build id before the canary.' }));
    await h.settle();
    await chase(9.5);
    await chase(12.5);
    expect(reminders()).toHaveLength(4);
    expect((await h.command('U0DEV', `show REL-${id}`, { channel: 'C0SHOP' })).reply!.text).toContain('Reviewed by <@U0DEV>');
  });

  it('keep reminding weekly after the fourth round, one round at a time, until the review is written', async () => {
    const base = offset;
    const id = await approved('1.2.0', new Date(now().getTime() + 1_500));
    await checklist(id, 'canary');
    await h.command('U0DEV', `abort REL-${id} wrong build`, { channel: 'C0SHOP' });
    expect(await state(id)).toBe('failed');
    await h.settle();
    const reminders = () => h.slack.messages.filter((m) => m.channel === 'D0DEV' && m.text.includes(`post-release review of *REL-${id}*`));
    const chase = async (days: number) => {
      offset = base + days * DAY;
      await chaseReviews(h.relm.ctx);
      await h.settle();
    };
    // Down for the first twelve days: one reminder, the fourth round's, not four.
    await chase(12.01);
    expect(reminders().map((m) => /\(reminder (\d+)\)/.exec(m.text)?.[1])).toEqual(['4']);
    await chase(18.9);
    expect(reminders()).toHaveLength(1);
    await chase(19.01);
    await chase(19.5);
    await chase(26.01);
    expect(reminders().map((m) => /\(reminder (\d+)\)/.exec(m.text)?.[1])).toEqual(['4', '5', '6']);
    // The release managers hear the same.
    expect(h.slack.messages.filter((m) => m.channel === 'D0RM' && m.text.includes(`post-release review of *REL-${id}*`))).toHaveLength(3);

    const opened = await h.command('U0DEV', `review REL-${id}`, { channel: 'C0SHOP' });
    await h.submitView('U0DEV', opened.view, reviewValues({ lessons: 'Pin the build id.' }));
    await h.settle();
    await chase(33.01);
    await chase(40.01);
    expect(reminders()).toHaveLength(3);
    const row = await h.relm.db.selectFrom('releases').select('review_chase_at').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.review_chase_at).toBeNull();
  });
});
