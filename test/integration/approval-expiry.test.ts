import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { findApprovalRequests, planValues } from '../support/slack-views.ts';
import { ACTIONS } from '../../src/bot/blocks/ids.ts';

let h: Harness;
let now = new Date('2026-11-23T10:00:00Z');

beforeAll(async () => {
  h = await startHarness({ store: 'pglite', clock: () => now });
});

afterAll(async () => {
  await h?.stop();
});

describe('approval expiry (approval_expires_after: 7d)', () => {
  it('does not count an approval older than the policy allows towards the quorum', async () => {
    await h.command('U0DEV', 'new payments 5.0.0 --type minor --at "2026-12-15 10:00"');
    const edit = await h.command('U0DEV', 'edit REL-1');
    await h.submitView('U0DEV', edit.view, planValues({ version: '5.0.0', rollback: 'redeploy 4.9', evidence: 'CI green', start: new Date('2026-12-15T10:00:00Z') }));
    await h.command('U0DEV', 'submit REL-1');
    await h.settle();
    const [request] = findApprovalRequests(h.slack, 'C0PAY', 1);

    const first = await h.click('U0APP1', ACTIONS.approve, '1:2', request!);
    expect(first.reply!.text).toContain('(1 of 2)');

    now = new Date('2026-12-01T10:00:00Z'); // eight days later: the first approval has lapsed
    const second = await h.click('U0APP2', ACTIONS.approve, '1:2', request!);
    expect(second.reply!.text).toContain('(1 of 2)');
    const show = await h.command('U0DEV', 'show REL-1');
    expect(show.reply!.text).toContain('Awaiting approval');
    expect(show.reply!.text).toContain('Approvals: 1 of 2 (<@U0APP2>)');

    const third = await h.click('U0APP3', ACTIONS.approve, '1:2', request!);
    expect(third.reply!.text).toContain('it is authorised and scheduled for');
    const approved = await h.command('U0DEV', 'show REL-1');
    expect(approved.reply!.text).toMatch(/valid until <!date\^\d+\^/);
  });
});
