import type { App } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { registerPlanView } from './plan.ts';
import { registerRejectView } from './reject.ts';
import { registerReasonViews } from './reason.ts';
import { registerRatingCommentView } from './rate-comment.ts';
import { registerReviewView } from './review.ts';

export function registerViews(app: App, deps: BotDeps): void {
  registerPlanView(app, deps);
  registerRejectView(app, deps);
  registerReasonViews(app, deps);
  registerRatingCommentView(app, deps);
  registerReviewView(app, deps);
}
