import type { App, BlockButtonAction } from '@slack/bolt';
import type { BotDeps } from '../deps.ts';
import { bundleChoices } from '../../core/usecases/bundles.ts';
import { ACTIONS } from '../blocks/ids.ts';
import { planModal } from '../blocks/modals.ts';
import { loadRelease } from '../../core/usecases/load.ts';
import { formatWaveOverride } from '../../core/rollout.ts';
import { nextAllowedSlot } from '../../core/windows.ts';
import { own } from '../../core/lookup.ts';
import { buttonId } from './values.ts';

/** The next moment a service's policy allows a change to start, for the modal's hint. */
export function nextSlotFor(deps: BotDeps, service: string | undefined): Date | undefined {
  const { policies, services } = deps.ctx.settings;
  const policy = service ? own(policies, own(services, service)?.policy ?? '') : undefined;
  const calendar = policy?.calendar ?? Object.values(policies)[0]?.calendar;
  return calendar ? nextAllowedSlot(calendar, deps.ctx.clock()) : undefined;
}

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
    riskReason: r.riskReason ?? undefined,
    plannedStart: r.plannedStart,
    model: r.deploymentModel,
    rollbackPlan: r.rollbackPlan,
    testEvidence: r.testEvidence,
    trainingNeeded: r.trainingNeeded,
    trainingLinks: r.trainingLinks,
    impact: r.impact,
    contact: r.contact ?? undefined,
    waves: r.waves ? formatWaveOverride(r.waves) : undefined,
    assets: r.assets?.map((a) => `${a.name} ${a.sha256}`).join('\n'),
    nextSlot: nextSlotFor(deps, r.service),
    bundles: await bundleChoices(deps.ctx, r.id),
  };
  await deps.slack.client.views.open({ trigger_id: triggerId, view: planModal(deps.ctx.settings, defaults, { channel, revision: r.revision }) });
}

export function registerEdit(app: App, deps: BotDeps): void {
  app.action<BlockButtonAction>(ACTIONS.edit, async ({ action, body }) => {
    await openEditModal(deps, buttonId(action.value), body.trigger_id, body.channel?.id);
  });
}
