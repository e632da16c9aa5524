import type { BotDeps } from '../deps.ts';
import type { PlanFlags, ReleaseCommand } from './grammar.ts';
import { planRelease } from '../../core/usecases/plan.ts';
import { submitRelease } from '../../core/usecases/submit.ts';
import { approveRelease, rejectRelease } from '../../core/usecases/decide.ts';
import { cancelRelease, replanRelease, type PlanChanges } from '../../core/usecases/replan.ts';
import { scheduleRelease } from '../../core/usecases/schedule.ts';
import { findReleases, releaseDetail } from '../../core/usecases/queries.ts';
import { verifyAuditTrail } from '../../core/usecases/audit-trail.ts';
import { serviceOf } from '../../core/policy.ts';
import { releaseKey } from '../../core/release.ts';
import { helpText, renderApproved, renderChainCheck, renderList, renderPlanned, renderPolicies, renderReplanned, renderShow } from '../blocks/replies.ts';
import { planModal } from '../blocks/modals.ts';
import { clip, renderMarks, slackTime } from '../blocks/format.ts';
import { renderThreadNote } from '../blocks/notes.ts';
import { nextSlotFor, openEditModal } from '../actions/edit.ts';
import { abortRollout, continueRollout, pauseRollout, resumeRollout, retryWave, rollbackRollout, startRollout } from '../../core/usecases/rollout/control.ts';
import { calendarView } from '../../core/usecases/calendar.ts';
import { parseWaveOverride } from '../../core/rollout.ts';
import { renderCalendar } from '../blocks/calendar.ts';
import { whereRuns } from '../../core/usecases/configuration.ts';
import { recordIncident } from '../../core/usecases/incidents.ts';
import { renderWhere } from '../blocks/where.ts';

export interface CommandCaller {
  user: string;
  channel: string;
  triggerId: string;
}

/** The plan fields a `new` or `edit` command sets, as the use cases take them; absent flags are left out. */
function planChanges(command: PlanFlags & { version?: string }): PlanChanges {
  const changes: PlanChanges = {
    version: command.version,
    type: command.type,
    title: command.title,
    description: command.description,
    risk: command.risk,
    plannedStart: command.at,
    deploymentModel: command.model,
    rollbackPlan: command.rollback,
    testEvidence: command.tests,
    trainingNeeded: command.training?.needed,
    trainingLinks: command.training?.links,
    waves: command.waves ? parseWaveOverride(command.waves) : undefined,
  };
  return Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as PlanChanges;
}

/** Runs one parsed command; returns the ephemeral answer, or null when a modal answers instead. */
export async function runCommand(deps: BotDeps, caller: CommandCaller, command: ReleaseCommand): Promise<string | null> {
  const { ctx } = deps;
  switch (command.verb) {
    case 'help':
      return helpText(ctx.settings);
    case 'new': {
      if (!command.service || !command.version) {
        const defaults = { service: command.service, version: command.version, type: command.type, title: command.title, description: command.description, risk: command.risk, plannedStart: command.at, model: command.model, waves: command.waves, rollbackPlan: command.rollback, testEvidence: command.tests, trainingNeeded: command.training?.needed, trainingLinks: command.training?.links, nextSlot: nextSlotFor(deps, command.service) };
        await deps.slack.client.views.open({ trigger_id: caller.triggerId, view: planModal(ctx.settings, defaults, { channel: caller.channel }) });
        return null;
      }
      const { release, warnings } = await planRelease(ctx, caller.user, { service: command.service, version: command.version, ...planChanges(command) });
      return renderPlanned(release, warnings);
    }
    case 'edit': {
      const changes = planChanges(command);
      if (Object.keys(changes).length === 0) {
        await openEditModal(deps, command.id, caller.triggerId, caller.channel);
        return null;
      }
      const { release, warnings } = await replanRelease(ctx, caller.user, command.id, changes);
      return renderReplanned(release, warnings);
    }
    case 'submit': {
      const release = await submitRelease(ctx, caller.user, command.id);
      return `:outbox_tray: Submitted *${releaseKey(release.id)}* for approval; the request is in <#${release.cardChannel}>.`;
    }
    case 'approve':
      return renderApproved(await approveRelease(ctx, caller.user, command.id, command.comment));
    case 'reject':
      await rejectRelease(ctx, caller.user, command.id, command.reason);
      return `:no_entry: You rejected *${releaseKey(command.id)}*.`;
    case 'cancel':
      await cancelRelease(ctx, caller.user, command.id, command.reason);
      return `:wastebasket: Cancelled *${releaseKey(command.id)}*.`;
    case 'schedule': {
      const { release, warnings } = await scheduleRelease(ctx, caller.user, command.id, command.at);
      return [`:calendar: *${releaseKey(release.id)}* now starts ${slackTime(release.plannedStart!)}.`, ...warnings.map((w) => `• ${renderMarks(w)}`)].join('\n');
    }
    case 'list': {
      if (command.service) serviceOf(ctx.settings, command.service);
      const releases = await findReleases(ctx, { service: command.service, states: command.state ? [command.state] : undefined });
      return renderList(releases, command);
    }
    case 'show':
      return renderShow(await releaseDetail(ctx, command.id));
    case 'policy':
      return renderPolicies(ctx.settings, command.service ? serviceOf(ctx.settings, command.service) : undefined);
    case 'start':
      await startRollout(ctx, caller.user, command.id);
      return `:rocket: Starting *${releaseKey(command.id)}* now; each wave still waits for an open change window.`;
    case 'pause':
      await pauseRollout(ctx, caller.user, command.id);
      return `:double_vertical_bar: Paused *${releaseKey(command.id)}*.`;
    case 'resume':
      await resumeRollout(ctx, caller.user, command.id);
      return `:arrow_forward: Resumed *${releaseKey(command.id)}*.`;
    case 'retry':
      await retryWave(ctx, caller.user, command.id);
      return `:repeat: Retrying the failed wave of *${releaseKey(command.id)}*.`;
    case 'continue':
      await continueRollout(ctx, caller.user, command.id);
      return `:fast_forward: Continuing *${releaseKey(command.id)}* with its next wave.`;
    case 'abort':
      await abortRollout(ctx, caller.user, command.id, command.reason);
      return `:octagonal_sign: Aborted the rollout of *${releaseKey(command.id)}*; it ends failed. Roll back from the card if needed.`;
    case 'rollback':
      await rollbackRollout(ctx, caller.user, command.id, command.reason);
      return `:rewind: Rolling back *${releaseKey(command.id)}*: each wave that started is rolled back, newest first.`;
    case 'incident': {
      const recorded = await recordIncident(ctx, caller.user, command.id, command.ref, 'slack');
      return recorded ? `:rotating_light: Recorded an incident caused by *${releaseKey(command.id)}*: ${clip(command.ref, 300)}` : `That incident is already recorded against *${releaseKey(command.id)}*.`;
    }
    case 'where':
      return renderWhere(command.service, await whereRuns(ctx, command.service));
    case 'calendar':
      return renderCalendar(await calendarView(ctx, command.days));
    case 'audit': {
      const check = await verifyAuditTrail(ctx);
      if (command.id === undefined) return renderChainCheck(check);
      const detail = await releaseDetail(ctx, command.id);
      return [renderChainCheck(check), ...detail.history.map((e) => `#${e.seq} ${slackTime(e.at)} ${renderThreadNote(e)} \`${e.hash.slice(0, 12)}\``)].join('\n');
    }
  }
}
