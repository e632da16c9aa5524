import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { clockFrom } from '../support/clock.ts';

let h: Harness;

// The audience channel C0ANNOUNCE belongs to payments in the fixture; its window is Mon-Fri 08:00-18:00,
// so the clock starts on a Tuesday morning a day before the planned start.
beforeAll(async () => {
  h = await startHarness({ store: 'postgres', clock: clockFrom('2026-11-24T09:00:00Z') });
});

afterAll(async () => {
  await h?.stop();
});

const AUDIENCE = 'C0ANNOUNCE';
const at = (iso: string) => `<!date^${Date.parse(iso) / 1000}^`;

/** Plans, submits and approves a payments release starting at `start` (London), by text alone. */
async function authorised(version: string, start: string, extra = ''): Promise<number> {
  const planned = await h.command('U0DEV', `new payments ${version} --at "${start}" --rollback "Redeploy the previous image" --tests "CI green" ${extra}`);
  const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
  await h.command('U0DEV', `submit REL-${id}`);
  await h.command('U0APP1', `approve REL-${id}`);
  await h.command('U0APP2', `approve REL-${id}`);
  await h.settle();
  return id;
}

function noticesOf(id: number) {
  return h.slack.channelMessages(AUDIENCE).filter((m) => m.metadata?.event_payload?.key === `audience:notice:${id}:${AUDIENCE}`);
}

describe('the audience of a release', () => {
  it('hears nothing of a plan that is not authorised yet', async () => {
    const planned = await h.command('U0DEV', 'new payments 0.9.0 --at "2026-11-25 10:00"');
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    await h.command('U0DEV', `cancel REL-${id} not needed`);
    await h.settle();
    expect(h.slack.channelMessages(AUDIENCE)).toEqual([]);
  });

  it('gets one message per release, updated in place, with a thread reply for each step that matters', async () => {
    const id = await authorised('1.0.0', '2026-11-25 10:00', '--title "Faster <!channel> checkout" --impact "Checkout is read-only for 2 minutes" --contact <#C0SUPPORT|payments-help> --training https://wiki.example.com/checkout');
    const [notice] = noticesOf(id);
    expect(noticesOf(id)).toHaveLength(1);
    const text = JSON.stringify(notice!.blocks);
    expect(text).toContain('Faster &lt;!channel&gt; checkout');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain(at('2026-11-25T10:00:00Z'));
    expect(text).toContain('Checkout is read-only for 2 minutes');
    expect(text).toContain('<#C0SUPPORT>');
    expect(text).toContain('https://wiki.example.com/checkout');
    expect(h.slack.thread(AUDIENCE, notice!.ts).map((m) => m.text)).toHaveLength(1);
    expect(h.slack.thread(AUDIENCE, notice!.ts)[0]!.text).toContain(`scheduled for ${at('2026-11-25T10:00:00Z')}`);

    await h.command('U0DEV', `schedule REL-${id} "2026-11-26 10:00"`);
    await h.settle();
    expect(noticesOf(id)).toHaveLength(1);
    const updated = h.slack.channelMessages(AUDIENCE).find((m) => m.ts === notice!.ts)!;
    expect(JSON.stringify(updated.blocks)).toContain(at('2026-11-26T10:00:00Z'));
    expect(JSON.stringify(updated.blocks)).toContain('rescheduled 1×');

    await h.command('U0DEV', `start REL-${id}`);
    await h.settle();
    await h.command('U0DEV', `abort REL-${id} error rate doubled`);
    await h.settle();
    const replies = h.slack.thread(AUDIENCE, notice!.ts).map((m) => m.text);
    expect(replies).toHaveLength(4);
    expect(replies[1]).toContain(`Rescheduled: it now starts ${at('2026-11-26T10:00:00Z')}`);
    expect(replies[2]).toContain('The rollout has started.');
    expect(replies[3]).toContain('The rollout was stopped.');
    expect(JSON.stringify(h.slack.channelMessages(AUDIENCE).find((m) => m.ts === notice!.ts)!.blocks)).toContain('Stopped');
    // The audience hears none of the team's detail: no approvals, no reasons.
    expect(replies.join(' ')).not.toContain('error rate doubled');
  });

  it('is told when an authorised release is cancelled, in the same message', async () => {
    const id = await authorised('1.1.0', '2026-11-27 10:00');
    await h.command('U0DEV', `cancel REL-${id} superseded`);
    await h.settle();
    const [notice] = noticesOf(id);
    expect(noticesOf(id)).toHaveLength(1);
    expect(JSON.stringify(notice!.blocks)).toContain('Cancelled: nothing changes');
    expect(h.slack.thread(AUDIENCE, notice!.ts).map((m) => m.text).at(-1)).toContain('Cancelled: this change will not happen.');
  });

  it('asks how it went once the release is rolled out: one rating per person, changeable, shown on the card and in show', async () => {
    const id = await authorised('1.2.0', '2026-11-25 11:00');
    await h.command('U0DEV', `start REL-${id}`);
    await h.settle();
    // The manual deployer asks for each wave to be reported done: press Done on each new checklist
    // until the release is rolled out (the canary bakes 5 s in between).
    const clicked = new Set<string>();
    await waitFor(async () => {
      const state = (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
      if (state === 'completed') return true;
      for (const m of h.slack.messages.filter((m) => m.channel === 'C0PAY')) {
        const done = ((m.blocks ?? []) as any[]).flatMap((b) => b.elements ?? []).find((e: any) => e.action_id === 'relm_step_done');
        if (done && !clicked.has(done.value)) {
          clicked.add(done.value);
          await h.click('U0DEV', 'relm_step_done', done.value, m, { wait: false });
        }
      }
      return undefined;
    }, 'the rollout to finish', 20_000);
    await h.settle();
        const [notice] = noticesOf(id);
    const last = h.slack.thread(AUDIENCE, notice!.ts).at(-1)!;
    expect(last.text).toContain('is live everywhere');
    const buttons = (last.blocks as any[]).find((b) => b.type === 'actions').elements as { action_id: string; value: string }[];
    expect(buttons.map((b) => b.value)).toEqual([...[1, 2, 3, 4, 5].map((n) => `${id}:${n}`), String(id)]);
    expect(buttons.at(-1)!.action_id).toBe('relm_rate_comment');
    const four = await h.click('U0CUSTOMER', buttons[3]!.action_id, buttons[3]!.value, last);
    expect(four.reply!.text).toContain(`you rated *REL-${id}* 4 of 5`);
    const again = await h.click('U0CUSTOMER', buttons[1]!.action_id, buttons[1]!.value, last);
    expect(again.reply!.text).toContain('your earlier rating is replaced');
    await h.click('U0OTHER', buttons[4]!.action_id, buttons[4]!.value, last);
    await h.settle();
    expect((await h.command('U0DEV', `show REL-${id}`)).reply!.text).toContain('*Rated:* 3.5 of 5 from 2 people');
    const card = h.slack.channelMessages('C0PAY').find((m) => m.metadata?.event_payload?.key === `card:${id}`)!;
    expect(JSON.stringify(card.blocks)).toContain('rated 3.5 of 5 by 2');
    const early = await authorised('1.3.0', '2026-11-25 12:00');
    const tooSoon = await h.click('U0CUSTOMER', 'relm_rate_5', `${early}:5`, last);
    expect(tooSoon.reply!.text).toContain('can be rated once it is done');
  });
});
