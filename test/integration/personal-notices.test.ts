import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_CONFIG, startHarness, waitFor, type Harness } from '../support/harness.ts';
import { effectJobId } from '../../src/jobs/effects-queue.ts';

let h: Harness;
// A clock the test moves by hand: a day of reminders and nights in a few seconds.
let now = new Date('2031-03-03T12:00:00Z');

/**
 * The fixture with a service whose audience is a channel, a user group and a person, on a policy
 * with one approver and no windows. Tokyo is UTC+9, Los Angeles UTC-8 and London UTC+0 in early March.
 */
function portalConfig(): string {
  const yaml = readFileSync(FIXTURE_CONFIG, 'utf8')
    .replace(
      'services:\n',
      'services:\n  portal:\n    name: Customer Portal\n    channel: C0PORTAL\n    audience: [C0PORTALNEWS, S0CUSTOMERS, U0SOLO]\n    policy: open\n    deployment_model: two-waves\n',
    )
    .replace('policies:\n', 'policies:\n  open:\n    approvals:\n      minor: { required: 1, from: [U0APP1] }\n      emergency: { required: 1, from: [U0APP1] }\n');
  const file = join(mkdtempSync(join(tmpdir(), 'relm-personal-')), 'relm.yml');
  writeFileSync(file, yaml);
  return file;
}

beforeAll(async () => {
  h = await startHarness({ store: 'postgres', clock: () => now, config: portalConfig() });
  h.slack.users.set('U0TOKYO', { tz: 'Asia/Tokyo' });
  h.slack.users.set('U0LA', { tz: 'America/Los_Angeles' });
  h.slack.users.set('U0SOLO', { tz: 'Europe/London' });
  h.slack.users.set('U0QUIET', { tz: 'Europe/London' });
  h.slack.users.set('U0GONE', { tz: 'Europe/London' });
  h.slack.userGroups.set('S0CUSTOMERS', ['U0TOKYO', 'U0LA', 'U0QUIET', 'U0GONE']);
  h.slack.deactivated.add('U0GONE');
});

afterAll(async () => {
  await h?.stop();
});

const ZONES: Record<string, string> = { U0TOKYO: 'Asia/Tokyo', U0LA: 'America/Los_Angeles', U0SOLO: 'Europe/London', U0QUIET: 'Europe/London' };

/** The DMs each person has had, with relm's time when each arrived. */
const arrivals: { user: string; text: string; at: Date }[] = [];
function dmsOf(user: string, kind?: RegExp) {
  for (const m of h.slack.messages.filter((m) => m.channel.startsWith('D'))) {
    const user = `U${m.channel.slice(1)}`;
    if (!arrivals.some((a) => a.user === user && a.text === `${m.ts}:${m.text}`)) arrivals.push({ user, text: `${m.ts}:${m.text}`, at: now });
  }
  return arrivals.filter((a) => a.user === user && (!kind || kind.test(a.text)));
}

/** Moves the clock and lets the relay hand out what has come due. */
async function advanceTo(iso: string) {
  now = new Date(iso);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await h.settle();
  dmsOf('U0SOLO');
}

const local = (at: Date, user: string) => DateTime.fromJSDate(at, { zone: ZONES[user]! });

describe('personal notices (DMs) in each reader’s own time', () => {
  let id: number;

  it('tells the people of the audience by DM that a release is scheduled, holding it through each reader’s night', async () => {
    await h.command('U0QUIET', 'mute portal');
    const planned = await h.command('U0DEV', 'new portal 1.0.0 --at "2031-03-05 06:00" --title "New <!channel> login page" --rollback "Redeploy" --tests "CI green"');
    id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    await h.command('U0DEV', `submit REL-${id}`);
    await h.command('U0APP1', `approve REL-${id}`);
    await h.settle();
    await waitFor(async () => dmsOf('U0SOLO').length === 1 || undefined, 'the London DM');
    // 12:00 UTC is noon in London, but 21:00 in Tokyo and 04:00 in Los Angeles: both wait.
    const solo = h.slack.messages.find((m) => m.channel === 'D0SOLO')!;
    expect(JSON.stringify(solo.blocks)).toContain('New &lt;!channel&gt; login page');
    expect(JSON.stringify(solo.blocks)).not.toContain('<!channel>');
    expect(JSON.stringify(solo.blocks)).toContain('/release mute portal');
    expect(dmsOf('U0TOKYO')).toEqual([]);
    expect(dmsOf('U0LA')).toEqual([]);
    // Muted: no DM at all; deactivated: recorded, and shown as not reached.
    expect(dmsOf('U0QUIET')).toEqual([]);
    const shown = (await h.command('U0DEV', `show REL-${id}`)).reply!.text;
    expect(shown).toMatch(/2 audience notices waiting for their moment|audience notices? waiting/);
    await waitFor(async () => /Not reached:\* <@U0GONE> \(user_disabled\)/.test((await h.command('U0DEV', `show REL-${id}`)).reply!.text) || undefined, 'show to name U0GONE');

    await advanceTo('2031-03-03T16:00:30Z'); // 08:00 in Los Angeles
    expect(dmsOf('U0LA', /scheduled/i)).toHaveLength(1);
    expect(dmsOf('U0TOKYO')).toEqual([]);
    await advanceTo('2031-03-03T23:00:30Z'); // 08:00 in Tokyo
    expect(dmsOf('U0TOKYO', /scheduled/i)).toHaveLength(1);
    expect(h.slack.messages.filter((m) => m.channel === 'D0LA')).toHaveLength(1);
  });

  it('reminds each reader the day before at a waking local hour, and never in their quiet hours', async () => {
    // 24 h before the 06:00 UTC start: 15:00 in Tokyo (sent then), 22:00 in Los Angeles and 06:00 in
    // London (both in quiet hours: sent at their 08:00, which is still before the start).
    await advanceTo('2031-03-04T06:00:30Z');
    expect(dmsOf('U0TOKYO', /Reminder/)).toHaveLength(1);
    expect(dmsOf('U0SOLO', /Reminder/)).toHaveLength(0);
    const [channelNotice] = h.slack.channelMessages('C0PORTALNEWS');
    expect(h.slack.thread('C0PORTALNEWS', channelNotice!.ts).map((m) => m.text).join('\n')).toContain('Reminder: this change starts');
    await advanceTo('2031-03-04T08:00:30Z');
    expect(dmsOf('U0SOLO', /Reminder/)).toHaveLength(1);
    expect(dmsOf('U0LA', /Reminder/)).toHaveLength(0);
    await advanceTo('2031-03-04T16:00:30Z');
    expect(dmsOf('U0LA', /Reminder/)).toHaveLength(1);
    for (const a of arrivals) {
      const hour = local(a.at, a.user).hour;
      expect(hour >= 8 && hour < 20, `${a.user} got a DM at ${local(a.at, a.user).toISO()}`).toBe(true);
    }
    expect(dmsOf('U0QUIET')).toEqual([]);
  });

  it('moves the pending reminders when the release is rescheduled, and removes them when it is cancelled', async () => {
    const pendingReminders = () =>
      h.relm.db.selectFrom('outbox').select(['id', 'dedupe_key', 'state', 'not_before']).where('release_id', '=', id).where('dedupe_key', 'like', 'remind:%').where('state', '=', 'pending').execute();
    const before = await pendingReminders();
    // The 1 h reminders of the 06:00 start: the channel's, and each reader's DM.
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((r) => r.dedupe_key.startsWith(`remind:${id}:${Date.parse('2031-03-05T06:00:00Z')}:`))).toBe(true);
    await h.command('U0DEV', `schedule REL-${id} "2031-03-07 10:00"`);
    await h.settle();
    const moved = await pendingReminders();
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((r) => r.dedupe_key.startsWith(`remind:${id}:${Date.parse('2031-03-07T10:00:00Z')}:`))).toBe(true);
    // The old reminders' jobs are gone from Redis, not just skipped when they come due.
    const queue = h.relm.ctx.effects as unknown as { queue: import('bullmq').Queue; installation: string };
    for (const r of before) expect(await queue.queue.getJob(effectJobId(queue.installation, r.id))).toBeUndefined();

    await h.command('U0DEV', `cancel REL-${id} superseded by 1.1.0`);
    await h.settle();
    expect(await pendingReminders()).toEqual([]);
    const sent = h.slack.messages.filter((m) => m.channel.startsWith('D')).length;
    await advanceTo('2031-03-06T10:00:30Z'); // when the new start's 24 h reminder would have gone
    await advanceTo('2031-03-07T09:00:30Z');
    const after = h.slack.messages.filter((m) => m.channel.startsWith('D'));
    // Only the cancellation itself reaches people (held through the night where it is night), no reminder.
    expect(after.slice(sent).every((m) => /Cancelled/.test(m.text))).toBe(true);
    expect(after.filter((m) => /Reminder/.test(m.text) && m.text.includes('2031-03-07'))).toEqual([]);
    expect(after.filter((m) => /Reminder/.test(m.text))).toHaveLength(3);
  });

  it('lets a person unmute a service and hear of its next release', async () => {
    const reply = await h.command('U0QUIET', 'unmute portal');
    expect(reply.reply!.text).toContain('direct messages about *portal* releases again');
    now = new Date('2031-03-10T12:00:00Z');
    const planned = await h.command('U0DEV', 'new portal 1.1.0 --at "2031-03-12 12:00" --rollback "Redeploy" --tests "CI green"');
    const next = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    await h.command('U0DEV', `submit REL-${next}`);
    await h.command('U0APP1', `approve REL-${next}`);
    await h.settle();
    await waitFor(async () => h.slack.messages.some((m) => m.channel === 'D0QUIET') || undefined, 'the unmuted person’s DM');
    expect(h.slack.callsTo('conversations.open').filter((c) => c.args.users === 'U0SOLO')).toHaveLength(1);
  });
});
