import type { App } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { parseReleaseCommand, readsTime } from './grammar.ts';
import { runCommand } from './handlers.ts';

/** `/release`: parse, run, answer ephemerally. The middleware has already acknowledged it. */
export function registerCommands(app: App, deps: BotDeps): void {
  app.command('/release', async ({ command, respond }) => {
    // Times typed without an offset are read in the user's own Slack timezone.
    const zone = readsTime(command.text ?? '') ? ((await deps.slack.userTimezone(command.user_id)) ?? deps.ctx.settings.timezone) : deps.ctx.settings.timezone;
    const parsed = parseReleaseCommand(command.text ?? '', { zone, now: deps.ctx.clock() });
    const answer = await runCommand(deps, { user: command.user_id, channel: command.channel_id, triggerId: command.trigger_id }, parsed);
    if (typeof answer === 'string') await respond({ response_type: 'ephemeral', text: answer });
    else if (answer) await respond({ response_type: 'ephemeral', text: answer.text, blocks: answer.blocks });
  });
}
