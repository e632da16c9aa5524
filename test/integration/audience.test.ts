import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
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
});
