import type { App } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { homeFor, homePublished, openHome } from '../../core/usecases/home.ts';
import { renderHome } from '../blocks/home.ts';
import { replyEphemeral } from '../reply.ts';

/**
 * Publishes one person's App Home now, optionally with a line on top (what their click just did).
 * Remembers that they use Home, so later changes refresh it (debounced, see core/effects/home.ts).
 */
export async function showHome(deps: BotDeps, user: string, options: { opened?: boolean; notice?: string } = {}): Promise<void> {
  const home = options.opened ? await openHome(deps.ctx, user) : await homeFor(deps.ctx, user);
  await deps.slack.publishHome(user, renderHome(home, options.notice));
  await homePublished(deps.ctx, user, home.at);
}

/**
 * Tells a person what their click in Home did by republishing Home with it on top; should Slack refuse
 * the publish, the answer goes by DM instead, so a decision that was made is never reported as an error.
 */
export async function answerInHome(deps: BotDeps, user: string, notice: string): Promise<void> {
  try {
    await showHome(deps, user, { notice });
  } catch (error) {
    deps.log.warn({ err: error, user }, 'could not republish App Home; answering by DM');
    await replyEphemeral(deps.slack, { user }, notice);
  }
}

/** Whether a click came from a button in App Home (a view, not a message): it has no response_url to answer on. */
export function fromHome(body: { container?: { type?: string }; view?: { type?: string } }): boolean {
  return body.container?.type === 'view' && body.view?.type === 'home';
}

/** app_home_opened: the person opened relm's Home tab (Bolt acknowledges events before this runs). */
export function registerHomeOpened(app: App, deps: BotDeps): void {
  app.event('app_home_opened', async ({ event }) => {
    // The Messages tab sends the same event; a body without a person to show Home to is not ours.
    if (event.tab !== 'home' || typeof event.user !== 'string' || !/^[UW][A-Z0-9]{1,40}$/.test(event.user)) return;
    await showHome(deps, event.user, { opened: true });
  });
}
