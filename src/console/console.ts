import { randomUUID } from 'node:crypto';
import { unfinishedEffectCount } from '../store/repositories/effect-status.ts';
import type { Env } from '../config/env.ts';
import type { Settings } from '../core/settings.ts';
import { createRelm } from '../app.ts';
import { createLogger } from '../log.ts';
import { SlackEmulator, type EmulatedMessage } from './slack-emulator.ts';
import { ConsoleReceiver } from './receiver.ts';
import { renderBlocks, plainText, type RenderedButton } from './render.ts';
import { fillModal } from './modal-form.ts';
import { LineReader } from './line-reader.ts';

const CONSOLE_HELP = `Type /release … as in Slack (try /release help). Also:
  /as U0BOB        act as another Slack user
  /home            open relm's App Home as that user (its buttons get numbers too)
  <n> or press <n> press button number n
  /quit            leave
`;

interface Button extends RenderedButton {
  channel: string;
  ts: string;
  /** A button in App Home: pressed as Slack sends it from a view, with no channel and no response_url. */
  home?: boolean;
}

/**
 * The local console: relm's own Bolt app, store and queues, with a Slack emulator in place of Slack.
 * Messages print as text, buttons get numbers, and modals become prompts.
 */
export async function runConsole(env: Env, settings: Settings): Promise<void> {
  const zone = settings.timezone;
  const clock = () => new Date();
  const slack = await new SlackEmulator().start();
  const receiver = new ConsoleReceiver();
  const log = createLogger(env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL);
  const relm = await createRelm({
    env: { ...env, SLACK_BOT_TOKEN: 'xoxb-console', SLACK_API_URL: slack.apiUrl },
    settings,
    role: 'all',
    receiver,
    log,
    relayAfterMs: 2_000,
    clock,
  });
  const firstService = Object.values(settings.services)[0];
  let user = settings.releaseManagers[0] ?? 'U0CONSOLE';
  const channel = firstService?.channel ?? 'C0CONSOLE';
  const buttons: Button[] = [];
  const out = (text: string) => process.stdout.write(`${text}\n`);

  const show = (message: EmulatedMessage, updated: boolean) => {
    const { lines, buttons: found } = renderBlocks(message.blocks, message.text, zone);
    // The emulator's DM with a user is D + the user id's tail, as conversations.open gives it.
    const where = message.channel.startsWith('D') ? `DM @U${message.channel.slice(1)}` : message.threadTs ? `#${message.channel} (thread)` : `#${message.channel}`;
    out(`\n${updated ? '↻' : '•'} ${where}${updated ? ' updated' : ''}`);
    for (const line of lines) out(`  ${line}`);
    // A shared file (a digest's chart) is named; the console cannot show a picture.
    for (const file of message.files ?? []) out(`  [file ${file.name}: ${file.title}]`);
    const labels = found.map((b) => {
      buttons.push({ ...b, channel: message.channel, ts: message.ts });
      return `[${buttons.length}] ${b.label}`;
    });
    if (labels.length) out(`  ${labels.join('  ')}`);
  };
  slack.on('message', (m: EmulatedMessage) => show(m, false));
  slack.on('update', (m: EmulatedMessage) => show(m, true));
  slack.on('ephemeral', (e: { user?: string; text: string }) => {
    if (!e.user || e.user === user) out(`\n(only you, @${user}) ${plainText(e.text, zone).split('\n').join('\n  ')}`);
  });
  const views: any[] = [];
  slack.on('view', (v: { view: any }) => views.push(v.view));
  // App Home is printed when the console user asked for it (/home, or a button pressed in it); the
  // refreshes relm publishes on its own in between are kept by the emulator, not printed.
  let homeWanted = false;
  slack.on('home', ({ user: owner, view }: { user: string; view: any }) => {
    if (!homeWanted || owner !== user) return;
    homeWanted = false;
    const { lines, buttons: found } = renderBlocks(view.blocks, '', zone);
    out(`\n⌂ Home of @${owner}`);
    for (const line of lines) out(`  ${line}`);
    const labels = found.map((b) => {
      buttons.push({ ...b, channel: '', ts: '', home: true });
      return `[${buttons.length}] ${b.label}`;
    });
    if (labels.length) out(`  ${labels.join('  ')}`);
  });

  const rl = new LineReader();
  const idle = async () => {
    // Wait for the effects of the last action (cards, requests, notes) so output stays in order.
    for (let i = 0; i < 60; i++) {
      if ((await unfinishedEffectCount(relm.db, relm.ctx.clock())) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const runViews = async () => {
    while (views.length) {
      const view = views.shift();
      let values = await fillModal(rl, view, zone, clock);
      for (;;) {
        const acked = (await receiver.dispatch({ type: 'view_submission', user: { id: user }, trigger_id: randomUUID(), view: { ...view, id: `V${randomUUID().slice(0, 8)}`, hash: randomUUID(), state: { values } } })) as { response_action?: string; errors?: Record<string, string> } | undefined;
        if (acked?.response_action !== 'errors' || !acked.errors) break;
        for (const [block, message] of Object.entries(acked.errors)) out(`  ✘ ${block}: ${message}`);
        values = await fillModal(rl, view, zone, clock, values, new Set(Object.keys(acked.errors)));
      }
      await idle();
    }
  };

  out(`relm console: ${Object.keys(settings.services).length === 1 ? '1 service' : `${Object.keys(settings.services).length} services`} from ${env.RELM_CONFIG}, store ${env.DATABASE_URL ? 'PostgreSQL' : `PGlite in ${env.RELM_DATA_DIR}`}.`);
  out(CONSOLE_HELP);
  try {
    for (;;) {
      const raw = await rl.question(`@${user}> `);
      if (raw === '' && rl.ended) break;
      const line = raw.trim();
      try {
        if (!line) {
          // nothing to do
        } else if (line === '/quit' || line === '/exit') {
          break;
        } else if (line === '/help') {
          out(CONSOLE_HELP);
        } else if (line.startsWith('/as')) {
          const next = line.split(/\s+/)[1]?.toUpperCase();
          if (next && /^[UW][A-Z0-9]+$/.test(next)) user = next;
          else out('Usage: /as U0BOB (a Slack user id)');
        } else if (line === '/home') {
          homeWanted = true;
          await receiver.dispatch({
            type: 'event_callback',
            team_id: 'T0RELM',
            event_id: `Ev${randomUUID()}`,
            event: { type: 'app_home_opened', user, channel: `D${user.slice(1)}`, tab: 'home', event_ts: `${Date.now() / 1000}` },
          });
          await idle();
        } else if (line.startsWith('/release')) {
          const text = line.slice('/release'.length).trim();
          await receiver.dispatch({ command: '/release', text, user_id: user, user_name: user.toLowerCase(), channel_id: channel, team_id: 'T0RELM', trigger_id: randomUUID(), response_url: slack.responseUrl({ channel, user }) });
          await idle();
          await runViews();
        } else if (/^(press\s+)?\d+$/.test(line)) {
          const button = buttons[Number(line.replace(/\D/g, '')) - 1];
          if (!button) out('No button with that number.');
          else {
            let go = true;
            if (button.confirm) {
              // Only y or n answers a confirm; anything else (a typed command) is not silently taken as "no".
              let answer = '';
              while (!/^(y|yes|n|no)?$/i.test((answer = (await rl.question(`${button.confirm} (y/N) `)).trim()))) out('Answer y or n (Enter is no); the confirm is still open.');
              go = /^y/i.test(answer);
              if (!go) out('Not pressed.');
            }
            if (go && button.home) {
              homeWanted = true;
              await receiver.dispatch({
                type: 'block_actions',
                user: { id: user },
                container: { type: 'view', view_id: 'VHOME' },
                view: { id: 'VHOME', type: 'home', callback_id: 'relm_home' },
                trigger_id: randomUUID(),
                actions: [{ type: 'button', action_id: button.actionId, block_id: button.blockId, value: button.value, action_ts: `${Date.now() / 1000}` }],
              });
              await idle();
              await runViews();
            } else if (go) {
              await receiver.dispatch({
                type: 'block_actions',
                user: { id: user },
                channel: { id: button.channel },
                container: { type: 'message', channel_id: button.channel, message_ts: button.ts },
                message: { ts: button.ts },
                trigger_id: randomUUID(),
                response_url: slack.responseUrl({ channel: button.channel, user }),
                actions: [{ type: 'button', action_id: button.actionId, block_id: button.blockId, value: button.value, action_ts: `${Date.now() / 1000}` }],
              });
              await idle();
              await runViews();
            }
          }
        } else {
          out('Commands start with /release, /as, /home, /help or /quit; a number presses a button.');
        }
      } catch (error) {
        out(`error: ${(error as Error).message}`);
      }
    }
  } finally {
    rl.close();
    await relm.stop();
    await slack.stop();
  }
}
