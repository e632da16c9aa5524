import type { App } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { registerHomeOpened } from './home.ts';

export function registerEvents(app: App, deps: BotDeps): void {
  registerHomeOpened(app, deps);
}
