import type { CoreContext } from '../context.ts';
import type { Settings } from '../settings.ts';
import { serviceOf } from '../settings.ts';
import { effectiveRisk, releaseKey, type StoredRelease } from '../release.ts';
import { wavesOf } from '../rollout.ts';
import { mentionedIssueKeys } from '../issue-keys.ts';
import { ChangeTrackerRejectedError, type ChangeTicket, type TicketField } from '../ports/change-tracker.ts';
import { findOutbox } from '../../store/repositories/outbox.ts';
import { findRelease, setChangeTicket } from '../../store/repositories/releases.ts';
import { EffectNotReadyError, PermanentEffectError } from '../effects/errors.ts';
import { postedCard } from './card-ref.ts';
import type { EffectPorts } from '../ports/effect-ports.ts';

export type JiraPayload = { releaseId: number; transition?: string; text?: string; plan?: boolean };

/** The work items a release's plan mentions (title, description, rollback plan, test evidence). */
export function linkedWorkItems(release: StoredRelease): string[] {
  return mentionedIssueKeys([release.title, release.description, release.rollbackPlan, release.testEvidence], release.jiraKey);
}

function sectionsOf(settings: Settings, release: StoredRelease): ChangeTicket['sections'] {
  const linked = linkedWorkItems(release);
  return [
    { heading: 'Release', text: `${releaseKey(release.id)} · ${release.type} · risk ${effectiveRisk(release)}${release.assessedRisk ? ` (assessed ${release.assessedRisk}: ${release.riskFactors.map((f) => `${f.detail} +${f.points}`).join(', ') || 'nothing counted'}${release.riskReason && release.risk !== release.assessedRisk ? `; stated ${release.risk}: ${release.riskReason}` : ''})` : ''} · planned start ${release.plannedStart?.toISOString() ?? 'not set'} · deployment model ${release.deploymentModel}` },
    ...(release.description ? [{ heading: 'Description', text: release.description }] : []),
    { heading: 'Waves', text: wavesOf(settings, release).map((w) => `${w.name}: ${w.targets.join(', ')}${w.bakeMs ? ` (bake ${Math.round(w.bakeMs / 1000)}s)` : ''}`).join('\n') },
    { heading: 'Rollback plan', text: release.rollbackPlan || 'none' },
    { heading: 'Test evidence', text: release.testEvidence || 'none' },
    ...(linked.length ? [{ heading: 'Linked work items', text: linked.join('\n') }] : []),
  ];
}

/**
 * The mapped fields' values. relm does not know how long a deploy takes, so the planned end is the
 * planned start plus the waves' bake times; both are unset while there is no planned start.
 */
export function ticketFields(settings: Settings, release: StoredRelease, link: string): TicketField[] {
  const start = release.plannedStart;
  const bakes = start ? wavesOf(settings, release).reduce((sum, w) => sum + w.bakeMs, 0) : 0;
  const values = {
    planned_start: start,
    planned_end: start ? new Date(start.getTime() + bakes) : null,
    risk: settings.jira.riskValues[effectiveRisk(release)] ?? effectiveRisk(release),
    release_link: link,
  };
  return Object.entries(settings.jira.fields).map(([name, id]) => ({ id: id!, name, value: values[name as keyof typeof values] }));
}

/** The card's Slack permalink when the card is posted, else the release key. */
async function releaseLink(ports: EffectPorts, release: StoredRelease): Promise<string> {
  const card = postedCard(release);
  if (!card || !ports.publisher.permalink) return releaseKey(release.id);
  // The link is a convenience: a ticket without it beats no ticket, so a Slack failure falls back.
  return ports.publisher.permalink(card).catch(() => releaseKey(release.id));
}

/**
 * The change ticket of a release: raised on submission (with its mapped fields and links to the work
 * items the plan mentions), moved with its state, told what happened, and kept in step with the plan.
 */
export async function jiraTicket(ctx: CoreContext, ports: EffectPorts, kind: string, payload: JiraPayload): Promise<Record<string, unknown>> {
  const tracker = ports.changeTracker;
  if (!tracker) throw new PermanentEffectError('Jira is not configured (JIRA_HOST and JIRA_API_TOKEN, plus JIRA_EMAIL for Jira Cloud)');
  const release = await findRelease(ctx.db, payload.releaseId);
  if (!release) throw new PermanentEffectError(`release ${payload.releaseId} is gone`);
  const service = serviceOf(ctx.settings, release.service);
  const { linkType } = ctx.settings.jira;
  try {
    if (kind === 'jira_raise') {
      const key = releaseKey(release.id);
      const raised = await tracker.raise({
        project: service.jiraProject!,
        issueType: ctx.settings.jira.issueType,
        summary: `${key}: ${service.name} ${release.version}: ${release.title}`,
        correlation: `relm-${key.toLowerCase()}`,
        sections: sectionsOf(ctx.settings, release),
        fields: ticketFields(ctx.settings, release, await releaseLink(ports, release)),
      });
      await setChangeTicket(ctx.db, release.id, { key: raised.key, issueId: raised.id ?? null });
      const links = await tracker.link(raised.key, linkedWorkItems(release), linkType);
      return { key: raised.key, created: raised.created, linked: links.linked, missing: links.missing };
    }
    if (!release.jiraKey) {
      const raise = await findOutbox(ctx.db, `jira:raise:${release.id}`);
      if (!raise || raise.state === 'failed') throw new PermanentEffectError('the change ticket was never raised');
      throw new EffectNotReadyError('the change ticket is not raised yet');
    }
    if (kind === 'jira_update') {
      // Fields always follow the release; the description and links only when the plan's text changed.
      await tracker.update(release.jiraKey, { fields: ticketFields(ctx.settings, release, await releaseLink(ports, release)), ...(payload.plan ? { sections: sectionsOf(ctx.settings, release) } : {}) });
      const links = payload.plan ? await tracker.link(release.jiraKey, linkedWorkItems(release), linkType) : undefined;
      return { key: release.jiraKey, updated: true, ...(links ? { linked: links.linked, missing: links.missing } : {}) };
    }
    if (kind === 'jira_transition') return { key: release.jiraKey, transition: payload.transition, outcome: await tracker.moveTo(release.jiraKey, payload.transition!) };
    await tracker.comment(release.jiraKey, payload.text ?? '');
    return { key: release.jiraKey, commented: true };
  } catch (error) {
    if (error instanceof ChangeTrackerRejectedError) throw new PermanentEffectError(error.message);
    throw error;
  }
}
