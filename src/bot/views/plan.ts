import type { App, ViewSubmitAction } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { PLAN_FIELDS, VALUE, VIEWS } from '../blocks/ids.ts';
import { addToBundle } from '../../core/usecases/bundles.ts';
import { plainTime } from '../blocks/format.ts';
import { renderPlanned, renderReplanned } from '../blocks/replies.ts';
import { replaceTimeMarks } from '../../core/text.ts';
import { planRelease } from '../../core/usecases/plan.ts';
import { replanRelease } from '../../core/usecases/replan.ts';
import { isDomainError } from '../../core/errors.ts';
import { replyEphemeral, replyTargetOf } from '../reply.ts';
import { FIELD_BLOCKS, readPlanForm } from './plan-form.ts';
import { readViewContext } from './view-context.ts';

/** The planning modal: a new plan, or a change to an existing one. Field problems stay in the modal. */
export function registerPlanView(app: App, deps: BotDeps): void {
  app.view<ViewSubmitAction>(VIEWS.plan, async ({ ack, view, body, context }) => {
    const meta = readViewContext(view.private_metadata);
    const form = readPlanForm(view.state.values, meta.releaseId !== undefined ? meta.service : undefined);
    if (!form.ok) {
      await ack({ response_action: 'errors', errors: form.errors });
      return;
    }
    const user = body.user.id;
    let outcome;
    try {
      outcome =
        meta.releaseId !== undefined
          ? { ...(await replanRelease(deps.ctx, user, meta.releaseId, form.input)), verb: 'Updated' }
          : { ...(await planRelease(deps.ctx, user, form.input)), verb: 'Planned' };
    } catch (error) {
      if (isDomainError(error) && error.field && FIELD_BLOCKS[error.field]) {
        await ack({ response_action: 'errors', errors: { [FIELD_BLOCKS[error.field]!]: replaceTimeMarks(error.message, (d) => plainTime(d, deps.ctx.settings.timezone)).replace(/[*`]/g, '') } });
        return;
      }
      await ack();
      throw error;
    }
    await ack();
    (context as { ackTimer?: () => void }).ackTimer?.();
    const { release, warnings, verb } = outcome;
    let text = verb === 'Planned' ? renderPlanned(release, warnings) : renderReplanned(release, warnings);
    const bundle = Number(view.state.values[PLAN_FIELDS.bundle]?.[VALUE]?.selected_option?.value ?? NaN);
    if (Number.isInteger(bundle) && bundle > 0) {
      // The plan is saved either way; joining may be refused (the bundle was approved meanwhile), and says why.
      try {
        await addToBundle(deps.ctx, user, bundle, [release.id]);
        text += `\n:package: Added to BUN-${bundle}.`;
      } catch (error) {
        if (!isDomainError(error)) throw error;
        text += `\n:warning: Not added to BUN-${bundle}: ${error.message}`;
      }
    }
    await replyEphemeral(deps.slack, replyTargetOf(body as unknown as Record<string, unknown>), text);
  });
}
