import type { SlackWebApi } from '../integrations/slack/web-api.ts';

/** Where an ephemeral answer to one user goes: the request's response_url, else the channel, else a DM. */
export interface ReplyTarget {
  user: string;
  channel?: string;
  responseUrl?: string;
  respond?: (message: { response_type: 'ephemeral'; text: string; replace_original?: boolean }) => Promise<unknown>;
}

export async function replyEphemeral(slack: SlackWebApi, target: ReplyTarget, text: string): Promise<void> {
  if (target.respond) {
    await target.respond({ response_type: 'ephemeral', text, replace_original: false });
    return;
  }
  if (target.channel) {
    try {
      await slack.ephemeral(target.channel, target.user, text);
      return;
    } catch {
      // Not in that channel (a DM with someone else, say): fall back to a direct message.
    }
  }
  await slack.post({ channel: target.user, text });
}

/** Reads where to answer from any Slack request body. */
export function replyTargetOf(body: Record<string, any>, respond?: ReplyTarget['respond']): ReplyTarget {
  const user = body.user_id ?? body.user?.id;
  let channel = body.channel_id ?? body.channel?.id;
  if (!channel && typeof body.view?.private_metadata === 'string') {
    try {
      channel = JSON.parse(body.view.private_metadata).channel;
    } catch {
      channel = undefined;
    }
  }
  const responseUrl = body.response_url ?? body.response_urls?.[0]?.response_url;
  return { user, channel, responseUrl, respond: responseUrl ? respond : undefined };
}
