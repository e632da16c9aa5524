import type { App } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { parseReleaseCommand } from './grammar.ts';
import { runCommand } from './handlers.ts';

/** `/release`: parse, run, answer ephemerally. The middleware has already acknowledged it. */
export function registerCommands(app: App, deps: BotDeps): void {
  app.command('/release', async ({ command, respond }) => {
    const parsed = parseReleaseCommand(command.text ?? '', deps.ctx.settings.timezone);
    const answer = await runCommand(deps, { user: command.user_id, channel: command.channel_id, triggerId: command.trigger_id }, parsed);
    if (answer) await respond({ response_type: 'ephemeral', text: answer });
  });
}
