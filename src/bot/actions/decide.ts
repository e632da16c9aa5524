import type { App, BlockButtonAction } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { ACTIONS, parseDecisionValue } from '../blocks/ids.ts';
import { rejectModal } from '../blocks/modals.ts';
import { approveRelease } from '../../core/usecases/decide.ts';
import { DomainError } from '../../core/errors.ts';
import { renderApproved } from '../blocks/replies.ts';
import { answerInHome, fromHome } from '../events/home.ts';

function decisionTarget(value: string | undefined): { releaseId: number; revision: number | undefined } {
  const parsed = parseDecisionValue(value);
  if (!parsed) throw new DomainError('invalid_input', 'That button is from an older version of relm; use `/release show` to find the release.');
  return parsed;
}

export function registerDecisions(app: App, deps: BotDeps): void {
  app.action<BlockButtonAction>(ACTIONS.approve, async ({ action, body, respond }) => {
    const { releaseId, revision } = decisionTarget(action.value);
    const result = await approveRelease(deps.ctx, body.user.id, releaseId, null, revision);
    // A click in App Home has nowhere to answer but Home itself: it is republished at once, saying so.
    if (fromHome(body)) await answerInHome(deps, body.user.id, renderApproved(result));
    else await respond({ response_type: 'ephemeral', replace_original: false, text: renderApproved(result) });
  });

  app.action<BlockButtonAction>(ACTIONS.reject, async ({ action, body }) => {
    const { releaseId, revision } = decisionTarget(action.value);
    await deps.slack.client.views.open({ trigger_id: body.trigger_id, view: rejectModal(releaseId, revision, fromHome(body) ? { home: true } : { channel: body.channel?.id }) });
  });
}
