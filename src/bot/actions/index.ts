import type { App } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { registerDecisions } from './decide.ts';
import { registerEdit } from './edit.ts';
import { registerLifecycleButtons } from './lifecycle.ts';
import { registerRolloutButtons } from './rollout.ts';
import { registerRating } from './rate.ts';
import { registerBundleButtons } from './bundle.ts';

export function registerActions(app: App, deps: BotDeps): void {
  registerDecisions(app, deps);
  registerEdit(app, deps);
  registerLifecycleButtons(app, deps);
  registerRolloutButtons(app, deps);
  registerRating(app, deps);
  registerBundleButtons(app, deps);
}
