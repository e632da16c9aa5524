import { randomBytes } from 'node:crypto';
import type { App } from '@slack/bolt';
import { isDomainError } from '../core/errors.ts';
import { CommandError } from './commands/grammar.ts';
import type { BotDeps } from './deps.ts';
import { replyEphemeral, replyTargetOf } from './reply.ts';
import { escapeText, renderMarks } from './blocks/format.ts';
import { outageMessage, unreachableDependency } from '../outage.ts';

/**
 * A message of ours as Slack should show it: usage like `<reason>` escaped, and only the mentions we
 * put there on purpose (users, user groups) kept live. User text inside it is already stripped of markup.
 */
export function userMessage(message: string): string {
  return renderMarks(escapeText(message));
}

/**
 * The one sink for listener errors: a problem the user can fix becomes an ephemeral answer; an
 * unreachable database or Redis says so (and warns once per outage); anything else becomes
 * "something went wrong (ref …)" with the stack logged under that ref.
 */
export function registerErrorHandler(app: App, deps: BotDeps): void {
  app.error(async ({ error, body, context }: any) => {
    const original = error?.original ?? error;
    const target = replyTargetOf(body ?? {}, context?.respond);
    let text: string;
    const dependency = unreachableDependency(original);
    if (isDomainError(original) || original instanceof CommandError) {
      deps.metrics.slackErrors.inc({ kind: 'user' });
      text = `:warning: ${userMessage(original.message)}`;
    } else if (dependency) {
      // An outage is expected and has an end: one warning for it, not an error per request.
      deps.metrics.slackErrors.inc({ kind: 'outage' });
      deps.outages.report(dependency, original);
      text = `:warning: ${outageMessage(dependency)}`;
    } else {
      const ref = randomBytes(4).toString('hex');
      deps.metrics.slackErrors.inc({ kind: 'internal' });
      deps.log.error({ err: original, ref }, 'unhandled error in a Slack listener');
      text = `:boom: Something went wrong on our side (ref ${ref}). Try again; if it keeps happening, quote the ref to whoever runs relm.`;
    }
    if (!target.user) return;
    try {
      if (target.responseUrl) {
        await fetch(target.responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }) });
      } else {
        await replyEphemeral(deps.slack, target, text);
      }
    } catch (replyError) {
      deps.log.warn({ err: replyError, text: escapeText(text) }, 'could not tell the user about an error');
    }
  });
}
