import type { App, BlockButtonAction } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { ACTIONS } from '../blocks/ids.ts';
import { planModal } from '../blocks/modals.ts';
import { loadRelease } from '../../core/usecases/load.ts';

/** Opens the planning modal filled in with the current plan of a release. */
export async function openEditModal(deps: BotDeps, releaseId: number, triggerId: string, channel?: string): Promise<void> {
  const r = await loadRelease(deps.ctx.db, releaseId);
  const defaults = {
    releaseId: r.id,
    service: r.service,
    version: r.version,
    type: r.type,
    title: r.title,
    description: r.description,
    risk: r.risk,
    plannedStart: r.plannedStart,
    model: r.deploymentModel,
    rollbackPlan: r.rollbackPlan,
    testEvidence: r.testEvidence,
    trainingNeeded: r.trainingNeeded,
  };
  await deps.slack.client.views.open({ trigger_id: triggerId, view: planModal(deps.ctx.settings, defaults, { channel, revision: r.revision }) });
}

export function registerEdit(app: App, deps: BotDeps): void {
  app.action<BlockButtonAction>(ACTIONS.edit, async ({ action, body }) => {
    await openEditModal(deps, Number(action.value), body.trigger_id, body.channel?.id);
  });
}
