import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_CONFIG, startHarness, type Harness } from '../support/harness.ts';
import { findApprovalRequests } from '../support/slack-views.ts';
import { chaseApprovals } from '../../src/core/usecases/chase-approvals.ts';

let h: Harness;
// A clock the test moves by hand: the request waits hours in a moment.
let now = new Date('2026-11-24T09:00:00Z');

/** The fixture with approval reminders after 4 h and escalation after a day on the standard policy. */
function chasingConfig(): string {
  const yaml = readFileSync(FIXTURE_CONFIG, 'utf8').replace('    approval_expires_after: 7d\n    require_training_material: true\n', '    approval_expires_after: 7d\n    remind_after: 4h\n    escalate_after: 1d\n');
  const file = join(mkdtempSync(join(tmpdir(), 'relm-chase-')), 'relm.yml');
  writeFileSync(file, yaml);
  return file;
}

beforeAll(async () => {
  h = await startHarness({ store: 'postgres', clock: () => now, config: chasingConfig() });
});

afterAll(async () => {
  await h?.stop();
});

const hours = (n: number) => new Date(Date.parse('2026-11-24T09:00:00Z') + n * 3_600_000);

async function chase(at: Date) {
  now = at;
  await chaseApprovals(h.relm.ctx);
  await h.settle();
}

describe('chasing undecided approval requests (remind_after: 4h, escalate_after: 1d)', () => {
  it('reminds only the approvers who have not decided, with backoff, then tells the release managers by DM', async () => {
    const planned = await h.command('U0DEV', 'new payments 1.0.0 --at "2026-11-30 10:00" --rollback "Redeploy" --tests "CI green"');
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    await h.command('U0DEV', `submit REL-${id}`);
    await h.settle();
    await h.command('U0APP1', `approve REL-${id}`);
    const [request] = findApprovalRequests(h.slack, 'C0PAY', id);
    const replies = () => h.slack.thread('C0PAY', request!.ts).map((m) => m.text);

    await chase(hours(3));
    expect(replies()).toEqual([]);
    await chase(hours(4.1));
    expect(replies()).toHaveLength(1);
    // S0APPROVERS is U0APP1, U0APP2, U0APP3: U0APP1 has approved.
    expect(replies()[0]).toContain('<@U0APP2>, <@U0APP3>: *REL-1* is waiting for your decision (1 of 2 so far)');
    expect(replies()[0]).not.toContain('U0APP1');
    await chase(hours(5)); // not yet the second round (8 h)
    await chase(hours(6));
    expect(replies()).toHaveLength(1);
    await chase(hours(8.5));
    expect(replies()).toHaveLength(2);
    expect(h.slack.messages.filter((m) => m.channel.startsWith('D'))).toEqual([]);

    await chase(hours(25)); // the third reminder (16 h) and the escalation (1 d) are both due; each comes once
    await chase(hours(26));
    expect(replies()).toHaveLength(3);
    const dms = h.slack.messages.filter((m) => m.channel.startsWith('D'));
    expect(dms.map((m) => m.channel)).toEqual(['D0RM']);
    expect(dms[0]!.text).toContain('*REL-1* (payments 1.0.0');
    expect(dms[0]!.text).toContain('has waited for approval since <!date^');
  });

  it('stops the moment the request is decided', async () => {
    now = hours(30);
    const planned = await h.command('U0DEV', 'new payments 1.1.0 --at "2026-12-01 10:00" --rollback "Redeploy" --tests "CI green"');
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    await h.command('U0DEV', `submit REL-${id}`);
    await h.settle();
    await h.command('U0APP1', `approve REL-${id}`);
    await h.command('U0APP2', `approve REL-${id}`);
    const [request] = findApprovalRequests(h.slack, 'C0PAY', id);
    await chase(hours(60));
    expect(h.slack.thread('C0PAY', request!.ts).map((m) => m.text).filter((t) => t.includes('waiting for your decision'))).toEqual([]);
  });

  it('warns once, in the card’s thread, when the approvals lapse before the planned start', async () => {
    now = new Date('2026-11-26T09:00:00Z');
    const planned = await h.command('U0DEV', 'new payments 1.2.0 --at "2026-12-08 10:00" --rollback "Redeploy" --tests "CI green"');
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    await h.command('U0DEV', `submit REL-${id}`);
    await h.command('U0APP1', `approve REL-${id}`);
    await h.command('U0APP2', `approve REL-${id}`);
    await h.settle();
    // Approved on 26 November for 7 days: they lapse on 3 December, five days before the start.
    const warnings = () => h.slack.messages.filter((m) => m.channel === 'C0PAY' && m.threadTs && m.text.includes(`the approvals of *REL-${id}* expire`));
    await chase(new Date('2026-12-02T08:00:00Z'));
    expect(warnings()).toEqual([]);
    await chase(new Date('2026-12-02T10:00:00Z'));
    await chase(new Date('2026-12-02T12:00:00Z'));
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.text).toContain(`<@U0DEV> the approvals of *REL-${id}* expire <!date^${Date.parse('2026-12-03T09:00:00Z') / 1000}^`);
    expect(warnings()[0]!.text).toContain('<@U0APP1>, <@U0APP2>');
  });
});
