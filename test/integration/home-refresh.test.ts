import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { waitFor, type Harness } from '../support/harness.ts';
import { startHomeHarness } from '../support/home-harness.ts';
import type { BullEffectDispatcher } from '../../src/jobs/effects-queue.ts';

/** A long window on a clock that stands still until the test moves it: the test, not the machine's speed, says when a window ends. */
const WINDOW_MS = 60_000;
let now = Date.parse('2026-11-24T09:00:00Z');
let h: Harness;

beforeAll(async () => {
  h = await startHomeHarness({ clock: () => new Date(now), homeRefreshMs: WINDOW_MS });
});

afterAll(async () => {
  await h?.stop();
});

/** Waits until every effect but the Home refreshes (held until their window ends) is done. */
async function quietButHome(): Promise<void> {
  await waitFor(async () => {
    const open = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE state IN ('pending', 'sending') AND kind <> 'home_publish'`.execute(h.relm.db);
    return open.rows[0]!.n === 0;
  }, 'the effects before the Home refreshes');
}

/**
 * Ends the current window: relm's clock moves past it, and the Home refreshes it held, delayed by
 * BullMQ as long as the window had left, run now (promote); then everything settles.
 */
async function endWindow(): Promise<void> {
  await quietButHome();
  now += WINDOW_MS;
  const queue = (h.relm.ctx.effects as BullEffectDispatcher).queue;
  // Only the effect jobs: the relay's own recurring job waits in the delayed set too.
  for (const job of await queue.getDelayed()) if (job.name === 'effect') await job.promote();
  await h.settle();
}

function publishesSince(index: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { user } of h.slack.homes.slice(index)) counts[user] = (counts[user] ?? 0) + 1;
  return counts;
}

async function planAndSubmit(version: string): Promise<number> {
  const planned = await h.command('U0DEV', `new payments ${version} --title "v${version}" --rollback "Redeploy" --tests "CI green"`);
  const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
  await h.command('U0DEV', `submit REL-${id}`);
  return id;
}

describe('App Home refreshes', () => {
  it('give one views.publish per person for a burst of changes, showing where everything ended up, and only to people who opened Home', async () => {
    for (const user of ['U0DEV', 'U0APP1', 'U0APP2']) await h.openHome(user);
    const start = h.slack.homes.length;

    // A burst: three plans, three submissions and two approvals, all in one window.
    const ids = [await planAndSubmit('1.0.0'), await planAndSubmit('1.1.0'), await planAndSubmit('1.2.0')];
    await h.command('U0APP1', `approve REL-${ids[0]}`);
    await h.command('U0APP1', `approve REL-${ids[1]}`);
    await endWindow();

    // U0APP3 may approve too but never opened Home: no call is spent on them.
    expect(publishesSince(start)).toEqual({ U0DEV: 1, U0APP1: 1, U0APP2: 1 });
    const app2 = JSON.stringify(h.slack.homeOf('U0APP2').blocks);
    for (const id of ids) expect(app2).toContain(`*REL-${id}*`);
    expect(app2.match(/1 of 2 approvals so far/g)).toHaveLength(2);
    const app1 = JSON.stringify(h.slack.homeOf('U0APP1').blocks);
    expect(app1).not.toContain(`*REL-${ids[0]}*`);
    expect(app1).toContain(`*REL-${ids[2]}*`);

    // The next window: one more change, one more publish for each person it affects.
    now += WINDOW_MS;
    const next = h.slack.homes.length;
    await h.command('U0APP2', `approve REL-${ids[0]}`);
    await endWindow();
    expect(publishesSince(next)).toEqual({ U0DEV: 1, U0APP1: 1, U0APP2: 1 });
    expect(JSON.stringify(h.slack.homeOf('U0APP2').blocks)).not.toContain(`*REL-${ids[0]}*`);
  });

  it('lets a failed views.publish fail alone: the release, its card and the other people are unaffected', async () => {
    now += WINDOW_MS;
    const next = h.slack.homes.length;
    const cards = h.slack.callsTo('chat.update').length + h.slack.callsTo('chat.postMessage').length;
    h.slack.inject('views.publish', { slackError: 'not_enabled' });
    const id = await planAndSubmit('1.3.0');
    await endWindow();
    expect(Object.values(publishesSince(next)).reduce((a, b) => a + b, 0)).toBe(2);
    const failed = await h.relm.db.selectFrom('outbox').select(['kind', 'last_error']).where('state', '=', 'failed').execute();
    expect(failed).toEqual([{ kind: 'home_publish', last_error: 'Slack views.publish failed: not_enabled' }]);
    expect((await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state).toBe('submitted');
    expect(h.slack.callsTo('chat.update').length + h.slack.callsTo('chat.postMessage').length).toBeGreaterThan(cards);
    expect(h.slack.channelMessages('C0PAY').some((m) => m.text.startsWith(`Approval requested for REL-${id} `))).toBe(true);
  });

  it('answers by DM when Slack refuses to republish Home after an approval from it: the decision stands', async () => {
    now += WINDOW_MS;
    const id = await planAndSubmit('1.4.0');
    await endWindow();
    const approve = ((await h.openHome('U0APP2')).blocks as any[]).flatMap((b) => b.elements ?? []).find((e: any) => e.action_id === 'relm_approve' && e.value.startsWith(`${id}:`));
    // The refreshes this approval asks for wait for the window's end, so the refusal meets the answer's own publish.
    h.slack.inject('views.publish', { slackError: 'not_enabled' });
    await h.clickInHome('U0APP2', approve.action_id, approve.value);
    const dm = await waitFor(() => h.slack.messages.find((m) => m.channel === 'U0APP2' && m.text.includes(`You approved *REL-${id}*`)), 'the answer by DM');
    expect(dm.text).not.toContain('went wrong');
    expect(await h.relm.db.selectFrom('decisions').select('approver').where('release_id', '=', id).execute()).toEqual([{ approver: 'U0APP2' }]);
    await endWindow();
  });
});
