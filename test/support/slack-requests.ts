import { createHmac, randomUUID } from 'node:crypto';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-test-bot-token-0123456789';

/** Signs a body the way Slack does: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}"). */
export function sign(body: string, timestamp = Math.floor(Date.now() / 1000), secret = SIGNING_SECRET): Record<string, string> {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

export function slashCommandBody(fields: { user: string; text: string; channel?: string; responseUrl: string; triggerId?: string }): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0RELM',
    team_domain: 'relm',
    channel_id: fields.channel ?? 'C0PAY',
    channel_name: 'releases',
    user_id: fields.user,
    user_name: fields.user.toLowerCase(),
    command: '/release',
    text: fields.text,
    api_app_id: 'A0RELM',
    is_enterprise_install: 'false',
    response_url: fields.responseUrl,
    trigger_id: fields.triggerId ?? `${Date.now()}.${randomUUID()}`,
  }).toString();
}

/** A block_actions payload as Slack sends it for a button in a message. */
export function blockActionPayload(fields: { user: string; actionId: string; value: string; channel: string; messageTs: string; responseUrl: string; blockId?: string; triggerId?: string }): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: fields.user, username: fields.user.toLowerCase(), name: fields.user.toLowerCase(), team_id: 'T0RELM' },
    api_app_id: 'A0RELM',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: fields.messageTs, channel_id: fields.channel, is_ephemeral: false },
    trigger_id: fields.triggerId ?? `${Date.now()}.${randomUUID()}`,
    team: { id: 'T0RELM', domain: 'relm' },
    channel: { id: fields.channel, name: 'releases' },
    message: { type: 'message', ts: fields.messageTs, text: '' },
    response_url: fields.responseUrl,
    actions: [{ type: 'button', action_id: fields.actionId, block_id: fields.blockId ?? 'b', value: fields.value, action_ts: `${Date.now() / 1000}`, text: { type: 'plain_text', text: 'x' } }],
  };
}

/** A view_submission payload for a modal relm opened, with the values a user entered. */
export function viewSubmissionPayload(fields: { user: string; view: any; values: Record<string, Record<string, unknown>>; viewId?: string }): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: 'T0RELM', domain: 'relm' },
    user: { id: fields.user, username: fields.user.toLowerCase(), name: fields.user.toLowerCase(), team_id: 'T0RELM' },
    api_app_id: 'A0RELM',
    token: 'deprecated-verification-token',
    trigger_id: `${Date.now()}.${randomUUID()}`,
    view: { ...fields.view, id: fields.viewId ?? `V${randomUUID().slice(0, 8)}`, team_id: 'T0RELM', hash: randomUUID(), state: { values: fields.values } },
    response_urls: [],
  };
}

export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** An Events API callback (JSON) as Slack sends it, e.g. app_home_opened. */
export function eventBody(event: Record<string, unknown>): string {
  return JSON.stringify({
    token: 'deprecated-verification-token',
    team_id: 'T0RELM',
    api_app_id: 'A0RELM',
    event: { event_ts: `${Date.now() / 1000}`, ...event },
    type: 'event_callback',
    event_id: `Ev${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0RELM', user_id: 'U0RELMBOT', is_bot: true }],
  });
}

/** A block_actions payload for a button in the user's App Home: a view container, and no response_url. */
export function homeActionPayload(fields: { user: string; actionId: string; value: string; triggerId?: string }): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: fields.user, username: fields.user.toLowerCase(), name: fields.user.toLowerCase(), team_id: 'T0RELM' },
    api_app_id: 'A0RELM',
    token: 'deprecated-verification-token',
    container: { type: 'view', view_id: 'VHOME' },
    trigger_id: fields.triggerId ?? `${Date.now()}.${randomUUID()}`,
    team: { id: 'T0RELM', domain: 'relm' },
    view: { id: 'VHOME', type: 'home', callback_id: 'relm_home', blocks: [], state: { values: {} }, hash: randomUUID() },
    actions: [{ type: 'button', action_id: fields.actionId, block_id: 'home', value: fields.value, action_ts: `${Date.now() / 1000}`, text: { type: 'plain_text', text: 'x' } }],
  };
}
