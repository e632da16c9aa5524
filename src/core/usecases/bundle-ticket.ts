import type { CoreContext } from '../context.ts';
import type { EffectPorts } from '../ports/effect-ports.ts';
import { ChangeTrackerRejectedError } from '../ports/change-tracker.ts';
import { EffectNotReadyError, PermanentEffectError } from '../effects/errors.ts';
import { memberProgress } from '../bundles.ts';
import { effectiveRisk, releaseKey } from '../release.ts';
import { serviceOf } from '../settings.ts';
import { findBundle, memberRollouts, setBundleTicket } from '../../store/repositories/bundles.ts';
import { findRelease } from '../../store/repositories/releases.ts';

const PROGRESS: Record<ReturnType<typeof memberProgress>, string> = {
  waiting: 'waiting',
  running: 'rolling out',
  failed: 'failed',
  passed: 'failed (the bundle went on past it)',
  skipped: 'cancelled',
  completed: 'completed',
  rolling_back: 'rolling back',
  rolled_back: 'rolled back',
};

/**
 * The bundle's own ticket in Jira: raised (once, found again by its label on a retry) in the project of
 * its first member tracked in Jira, listing every member's change in run order with its change ticket,
 * linked to those tickets, and updated as the bundle moves on. Members' tickets must be raised first.
 */
export async function bundleTicket(ctx: CoreContext, ports: EffectPorts, bundleId: number): Promise<Record<string, unknown>> {
  const tracker = ports.changeTracker;
  if (!tracker) throw new PermanentEffectError('Jira is not configured (JIRA_HOST and JIRA_API_TOKEN, plus JIRA_EMAIL for Jira Cloud)');
  const bundle = await findBundle(ctx.db, bundleId);
  if (!bundle) throw new PermanentEffectError(`bundle ${bundleId} is gone`);
  const members = await memberRollouts(ctx.db, bundle.id);
  const releases = (await Promise.all(members.map((m) => findRelease(ctx.db, m.releaseId)))).filter((r) => r !== undefined);
  const tracked = releases.filter((r) => serviceOf(ctx.settings, r.service).jiraProject);
  if (tracked.length === 0) return { skipped: 'no member of the bundle is tracked in Jira' };
  const unraised = tracked.filter((r) => !r.jiraKey);
  if (unraised.length) throw new EffectNotReadyError(`the change tickets of ${unraised.map((r) => releaseKey(r.id)).join(', ')} are not raised yet`);
  const lines = members.map((m, i) => {
    const r = releases.find((x) => x.id === m.releaseId);
    if (!r) return `${i + 1}. ${releaseKey(m.releaseId)} (gone)`;
    const service = serviceOf(ctx.settings, r.service);
    return `${i + 1}. ${releaseKey(r.id)} ${service.name} ${r.version} (${r.type}, risk ${effectiveRisk(r)})${r.jiraKey ? `, change ticket ${r.jiraKey}` : ''}: ${r.title}. ${PROGRESS[memberProgress(m)]}.`;
  });
  const sections = [
    { heading: `The changes of BUN-${bundle.id}, in the order they roll out`, text: lines.join('\n') },
    { heading: 'Bundle state', text: `${bundle.state.replace('_', ' ')}${bundle.rolloutNote ? `: ${bundle.rolloutNote}` : ''}` },
  ];
  try {
    const raised = bundle.jiraKey
      ? { key: bundle.jiraKey, created: false }
      : await tracker.raise({
          project: serviceOf(ctx.settings, tracked[0]!.service).jiraProject!,
          issueType: ctx.settings.jira.issueType,
          summary: `BUN-${bundle.id}: ${bundle.name} (${members.length} change${members.length === 1 ? '' : 's'})`,
          correlation: `relm-bun-${bundle.id}`,
          sections,
        });
    if (!bundle.jiraKey) await setBundleTicket(ctx.db, bundle.id, raised.key);
    // Raised earlier (or found again): the description follows the bundle.
    if (!raised.created) await tracker.update(raised.key, { fields: [], sections });
    const links = await tracker.link(raised.key, tracked.map((r) => r.jiraKey!), ctx.settings.jira.linkType);
    return { key: raised.key, created: raised.created, linked: links.linked };
  } catch (error) {
    if (error instanceof ChangeTrackerRejectedError) throw new PermanentEffectError(error.message);
    throw error;
  }
}
