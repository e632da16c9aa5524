import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type Harness } from '../support/harness.ts';
import { startHomeHarness } from '../support/home-harness.ts';
import { clockFrom } from '../support/clock.ts';

const AUDIENCE = 'C0ANNOUNCE';
let h: Harness;

beforeAll(async () => {
  h = await startHomeHarness({ clock: clockFrom('2026-11-24T09:00:00Z'), homeRefreshMs: 200 });
});

afterAll(async () => {
  await h?.stop();
});

const state = async (id: number) => (await h.relm.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;

/** Plans, approves and rolls out a payments release (one manual wave, reported done by its owner). */
async function completed(version: string): Promise<number> {
  const planned = await h.command('U0DEV', `new payments ${version} --title "Checkout ${version}" --at "2026-11-24 12:00" --rollback "Redeploy" --tests "CI green"`);
  const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
  await h.command('U0DEV', `submit REL-${id}`);
  await h.command('U0APP1', `approve REL-${id}`);
  await h.command('U0APP2', `approve REL-${id}`);
  await h.command('U0DEV', `start REL-${id}`);
  const done = await waitFor(() => {
    for (const m of h.slack.messages.filter((m) => m.channel === 'C0PAY' && m.threadTs)) {
      const button = (m.blocks as any[]).flatMap((b) => b.elements ?? []).find((e: any) => e.action_id === 'relm_step_done');
      if (button) return { m, button };
    }
    return undefined;
  }, 'the wave checklist');
  await h.click('U0DEV', 'relm_step_done', done.button.value, done.m, { wait: false });
  await waitFor(async () => (await state(id)) === 'completed', 'the rollout to complete');
  await h.settle();
  return id;
}

function commentButton(id: number) {
  const reply = h.slack.messages.find((m) => m.channel === AUDIENCE && m.threadTs && (m.blocks as any[]).some((b) => b.block_id === `rate_${id}`))!;
  const button = (reply.blocks as any[]).find((b) => b.block_id === `rate_${id}`).elements.find((e: any) => e.action_id === 'relm_rate_comment');
  return { reply, button };
}

const form = (score: string | null, comment: string | null) => ({
  score: { value: { type: 'static_select', selected_option: score ? { text: { type: 'plain_text', text: score }, value: score } : null } },
  comment: { value: { type: 'plain_text_input', value: comment } },
});

async function ratingRows(id: number) {
  return h.relm.db.selectFrom('ratings').select(['rater', 'score', 'comment']).where('release_id', '=', id).orderBy('rater').execute();
}

describe('a comment with the rating', () => {
  it('opens the rating form next to the 1–5 buttons, stores the comment with the rating, and changes both on a second go', async () => {
    const id = await completed('1.0.0');
    const { reply, button } = commentButton(id);
    expect(button.text.text).toBe('Add a comment…');

    const first = await h.click('U0CUST1', button.action_id, button.value, reply);
    expect(first.view.callback_id).toBe('relm_rate_comment_form');
    expect(first.view.blocks[0].element.initial_option).toBeUndefined();
    const saved = await h.submitView('U0CUST1', first.view, form('4', '  Checkout <b>faster</b> & <!channel>  '));
    expect(saved.status).toBe(200);
    const answer = await waitFor(() => h.slack.ephemerals.find((e) => e.user === 'U0CUST1' && e.text.includes('and said')), 'the answer');
    expect(answer.text).toContain(`you rated *REL-${id}* 4 of 5`);
    expect(answer.text).not.toContain('<!channel>');
    expect(await ratingRows(id)).toEqual([{ rater: 'U0CUST1', score: 4, comment: 'Checkout <b>faster</b> & <!channel>' }]);

    // The form opens again with what they said, and saving changes the one rating.
    const again = await h.click('U0CUST1', button.action_id, button.value, reply);
    expect(again.view.blocks[0].element.initial_option.value).toBe('4');
    expect(again.view.blocks[1].element.initial_value).toBe('Checkout <b>faster</b> & <!channel>');
    await h.submitView('U0CUST1', again.view, form('2', 'Slower than promised'));
    await waitFor(async () => (await ratingRows(id))[0]?.score === 2, 'the changed rating');
    expect(await ratingRows(id)).toEqual([{ rater: 'U0CUST1', score: 2, comment: 'Slower than promised' }]);

    // A press of a number keeps the comment; the comment is shown escaped in show, with the count and mean.
    await h.click('U0CUST1', 'relm_rate_3', `${id}:3`, reply);
    await h.click('U0OTHER', 'relm_rate_5', `${id}:5`, reply);
    expect(await ratingRows(id)).toEqual([
      { rater: 'U0CUST1', score: 3, comment: 'Slower than promised' },
      { rater: 'U0OTHER', score: 5, comment: null },
    ]);
    const other = await h.click('U0OTHER', button.action_id, button.value, reply);
    await h.submitView('U0OTHER', other.view, form('5', '<@U0DEV> & team: great'));
    await waitFor(async () => (await ratingRows(id))[1]?.comment !== null, 'the second comment');
    await h.settle();
    const show = (await h.command('U0DEV', `show REL-${id}`)).reply!.text;
    expect(show).toContain('*Rated:* 4.0 of 5 from 2 people');
    expect(show).toContain('<@U0CUST1> (3 of 5): "Slower than promised"');
    expect(show).toContain('<@U0OTHER> (5 of 5): "&lt;@U0DEV&gt; &amp; team: great"');

    // Saving with an empty comment removes it and keeps the score.
    const third = await h.click('U0CUST1', button.action_id, button.value, reply);
    await h.submitView('U0CUST1', third.view, form('3', ''));
    await waitFor(async () => (await ratingRows(id))[0]?.comment === null, 'the removed comment');
    expect((await ratingRows(id))[0]).toEqual({ rater: 'U0CUST1', score: 3, comment: null });
  });

  it('refuses a form without a score or with a comment over 1,000 characters, saying which field', async () => {
    const id = await completed('1.1.0');
    const { reply, button } = commentButton(id);
    const opened = await h.click('U0CUST1', button.action_id, button.value, reply);
    const noScore = await h.submitView('U0CUST1', opened.view, form(null, 'fine'));
    expect(noScore.body).toEqual({ response_action: 'errors', errors: { score: 'Pick how it went, from 1 to 5.' } });
    const long = await h.submitView('U0CUST1', opened.view, form('3', 'x'.repeat(1_001)));
    expect(long.body).toEqual({ response_action: 'errors', errors: { comment: 'At most 1000 characters.' } });
    expect(await ratingRows(id)).toEqual([]);
  });

  it('is not offered before the release is done', async () => {
    const planned = await h.command('U0DEV', 'new payments 1.2.0 --title "Not yet" --rollback "Redeploy" --tests "CI green"');
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    const { reply } = commentButton(1);
    const tooSoon = await h.click('U0CUST1', 'relm_rate_comment', String(id), reply);
    expect(tooSoon.reply!.text).toContain('can be rated once it is done');
  });
});
