import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { FakeSocketMode, type EnvelopeType } from '../support/fake-socket-mode.ts';
import { blockActionPayload, eventBody, slashCommandBody, viewSubmissionPayload } from '../support/slack-requests.ts';
import { buttonsOf, findApprovalRequests, findCard, planValues } from '../support/slack-views.ts';
import { ACTIONS } from '../../src/bot/blocks/ids.ts';

// relm in Socket Mode: no request comes over HTTP; everything arrives as envelopes on one WebSocket
// that relm opened through apps.connections.open, and every envelope is acknowledged on it.
let socket: FakeSocketMode;
let h: Harness;

beforeAll(async () => {
  socket = await new FakeSocketMode().start();
  h = await startHarness({ store: 'postgres', socketModeUrl: socket.url, env: { SLACK_APP_TOKEN: 'xapp-1-A0RELM-1-0123456789abcdef' } });
  await socket.connected(1);
});

afterAll(async () => {
  await h?.stop();
  await socket?.stop();
});

/** Sends `/release <text>` as a slash_commands envelope; resolves with the ack and the answer (reply or modal). */
async function command(user: string, text: string, options: { envelopeId?: string; retryAttempt?: number; triggerId?: string } = {}) {
  const responseUrl = h.slack.responseUrl({ channel: 'C0PAY', user });
  const viewsBefore = h.slack.views.length;
  const payload = Object.fromEntries(new URLSearchParams(slashCommandBody({ user, text, responseUrl, triggerId: options.triggerId })));
  const ack = await socket.send('slash_commands', payload, options);
  const answer = await waitFor(() => {
    const reply = h.slack.ephemerals.find((e) => e.responseUrl === responseUrl);
    if (reply) return { reply };
    if (h.slack.views.length > viewsBefore) return { view: h.slack.views[h.slack.views.length - 1]!.view };
    return undefined;
  }, `an answer to "${text}"`);
  return { ack, responseUrl, payload, ...answer };
}

function interactive(payload: Record<string, unknown>) {
  return socket.send('interactive' satisfies EnvelopeType, payload);
}

describe('Socket Mode', () => {
  it('opens its connection through SLACK_API_URL with the app-level token, not on slack.com', () => {
    const opens = h.slack.calls.filter((c) => c.method === 'apps.connections.open');
    expect(opens).toHaveLength(1);
    expect(opens[0]!.token).toBe('xapp-1-A0RELM-1-0123456789abcdef');
    expect(socket.connections).toBe(1);
  });

  it('plans, edits in the modal, submits and approves over the socket, acknowledging every envelope', async () => {
    const planned = await command('U0DEV', 'new payments 4.0.1 --type patch');
    expect(planned.reply!.text).toContain('Planned *REL-');
    const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
    await h.settle();
    expect(findCard(h.slack, 'C0PAY', id)).toBeDefined();

    const edit = await command('U0DEV', `edit REL-${id}`);
    expect(edit.view.callback_id).toBe('relm_plan');
    // A field error goes back in the ack's payload, as Slack's Socket Mode takes response_action.
    const bad = await interactive(viewSubmissionPayload({ user: 'U0DEV', view: edit.view, values: planValues({ version: 'not-a-version', rollback: 'x' }) }));
    expect(bad.payload).toEqual({ response_action: 'errors', errors: { version: expect.stringContaining('not a semantic version') } });
    const good = await interactive(viewSubmissionPayload({ user: 'U0DEV', view: edit.view, values: planValues({ version: '4.0.1', type: 'patch', rollback: 'Redeploy the previous image', evidence: 'CI run 99 green' }) }));
    expect(good.payload?.response_action).toBeUndefined();
    await h.settle();

    const submitted = await command('U0DEV', `submit REL-${id}`);
    expect(submitted.reply!.text).not.toMatch(/went wrong/i);
    await h.settle();
    const [request] = findApprovalRequests(h.slack, 'C0PAY', id);
    expect(request).toBeDefined();
    const [approve] = buttonsOf(request!);
    const responseUrl = h.slack.responseUrl({ channel: 'C0PAY', user: 'U0APP1' });
    await interactive(blockActionPayload({ user: 'U0APP1', actionId: ACTIONS.approve, value: approve!.value, channel: request!.channel, messageTs: request!.ts, responseUrl }));
    await h.settle();
    const release = await h.relm.db.selectFrom('releases').select(['state']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(['approved', 'scheduled', 'in_progress', 'completed']).toContain(release.state);
    expect(JSON.stringify(findCard(h.slack, 'C0PAY', id)!.blocks)).not.toContain('Awaiting approval');

    // Every envelope sent so far was acknowledged exactly once.
    const ids = socket.acks.map((a) => a.envelope_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('takes events_api envelopes: app_home_opened publishes the Home view', async () => {
    const before = h.slack.homes.length;
    const ack = await socket.send('events_api', JSON.parse(eventBody({ type: 'app_home_opened', user: 'U0DEV', channel: 'D0DEV', tab: 'home' })));
    expect(ack.envelope_id).toBeDefined();
    const home = await waitFor(() => h.slack.homes.slice(before).find((p) => p.user === 'U0DEV'), 'the Home view of U0DEV');
    expect(home.view.type).toBe('home');
  });

  it('reconnects after Slack asks it to, and handles an envelope delivered again after the reconnect once', async () => {
    const first = await command('U0DEV', 'new payments 4.2.0 --type patch', { triggerId: 'socket-redelivery-1' });
    expect(first.reply!.text).toContain('Planned *REL-');

    socket.disconnect('refresh_requested');
    await socket.connected(2, 20_000);
    expect(h.slack.calls.filter((c) => c.method === 'apps.connections.open')).toHaveLength(2);

    // Slack did not see the first ack (say), so it sends the same envelope again on the new connection.
    const again = await socket.send('slash_commands', first.payload, { envelopeId: first.ack.envelope_id, retryAttempt: 1 });
    expect(again.envelope_id).toBe(first.ack.envelope_id);
    await h.settle();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const rows = await h.relm.db.selectFrom('releases').select('id').where('version', '=', '4.2.0').execute();
    expect(rows).toHaveLength(1);
    expect(h.slack.ephemerals.filter((e) => e.responseUrl === first.responseUrl)).toHaveLength(1);

    // The new connection serves new requests as the old one did.
    const shown = await command('U0DEV', `show REL-${rows[0]!.id}`);
    expect(shown.reply!.text).toContain('4.2.0');
  }, 40_000);
});
