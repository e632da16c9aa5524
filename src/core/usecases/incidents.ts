import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { releaseKey } from '../release.ts';
import { ChangeTrackerRejectedError } from '../ports/change-tracker.ts';
import { incidentsByRef, incidentsOf, insertIncident, removeIncident, reopenIncident, resolveIncident, type StaleJiraEvent } from '../../store/repositories/incidents.ts';
import { enqueueOutbox, findOutbox } from '../../store/repositories/outbox.ts';
import { firstDelivery } from '../../store/repositories/deliveries.ts';
import { findRelease, releasesByJiraIssueIds } from '../../store/repositories/releases.ts';
import { loadRelease } from './load.ts';
import { changeTransaction, recordChange } from './record-change.ts';
import { PermanentEffectError } from '../effects/errors.ts';
import { linkedWorkItems } from './jira-ticket.ts';
import { fragment } from '../text.ts';
import type { EffectPorts } from '../ports/effect-ports.ts';

const MAX_REF = 300;

/**
 * Records an incident caused by a release, once per release and ref (a Jira key or a line of text),
 * with an audit entry, so the card and its thread say so. Returns false when it was recorded before.
 */
export async function recordIncident(ctx: CoreContext, actor: string, id: number, ref: string, source: 'slack' | 'jira'): Promise<boolean> {
  const text = ref.trim().replace(/\s+/g, ' ');
  if (!text) throw new DomainError('invalid_input', 'Say which incident: a Jira key like INC-12, or a few words.', { field: 'ref' });
  if (text.length > MAX_REF) throw new DomainError('invalid_input', `An incident reference is at most ${MAX_REF} characters; link a ticket for the detail.`, { field: 'ref' });
  const now = ctx.clock();
  return changeTransaction(ctx, async (trx) => {
    const release = await loadRelease(trx, id, { lock: true });
    const recorded = await insertIncident(trx, id, { ref: text, source, recordedBy: actor, recordedAt: now });
    if (recorded) await recordChange(trx, { release, actor, action: 'incident_recorded', after: { ref: text, source }, at: now });
    return recorded;
  });
}

/**
 * Jira's `issuelink_created` names both issues by id. When one is a relm change ticket, the other is
 * looked at later, by an outbox effect (a webhook never calls Jira while Jira waits for its answer).
 */
export async function jiraIssueLinked(ctx: CoreContext, link: { id: string; source: string; destination: string }, delivery?: string): Promise<{ release: number; queued: boolean } | { ignored: string } | { duplicate: true }> {
  const releases = await releasesByJiraIssueIds(ctx.db, [link.source, link.destination]);
  const release = releases[0];
  if (!release || releases.length > 1) return { ignored: release ? 'a link between two change tickets' : 'neither issue is a relm change ticket' };
  const other = release.jiraIssueId === link.source ? link.destination : link.source;
  const now = ctx.clock();
  // The delivery and the effect commit together: a failure leaves the delivery to be taken again.
  const ids = await ctx.db.transaction().execute(async (trx) => {
    if (delivery && !(await firstDelivery(trx, delivery, now))) return undefined;
    return enqueueOutbox(trx, [{ kind: 'jira_incident_link', releaseId: release.id, dedupeKey: `jira:issuelink:${link.id}`, payload: { releaseId: release.id, issueId: other } }], now);
  });
  if (!ids) return { duplicate: true };
  await ctx.effects.dispatch(ids);
  return { release: release.id, queued: ids.length > 0 };
}

/**
 * The effect behind `jiraIssueLinked`: an issue of an incident type (`jira.incident_types`) linked to the
 * change ticket is an incident caused by the release. Work items the plan mentions are skipped: relm
 * linked those itself, and a release that mentions an incident is more likely fixing it than causing it.
 */
export async function incidentFromJira(ctx: CoreContext, ports: EffectPorts, payload: { releaseId: number; issueId: string }): Promise<Record<string, unknown>> {
  if (!ports.changeTracker) throw new PermanentEffectError('Jira is not configured (JIRA_HOST and JIRA_API_TOKEN, plus JIRA_EMAIL for Jira Cloud)');
  const release = await findRelease(ctx.db, payload.releaseId);
  if (!release) throw new PermanentEffectError(`release ${payload.releaseId} is gone`);
  let issue: { key: string; type: string } | undefined;
  try {
    issue = await ports.changeTracker.describe(payload.issueId);
  } catch (error) {
    if (error instanceof ChangeTrackerRejectedError) throw new PermanentEffectError(error.message);
    throw error;
  }
  if (!issue) return { skipped: `issue ${payload.issueId} does not exist any more` };
  const types = ctx.settings.jira.incidentTypes.map((t) => t.toLowerCase());
  if (!types.includes(issue.type.toLowerCase())) return { key: issue.key, skipped: `a ${issue.type} is not an incident type` };
  if (linkedWorkItems(release).includes(issue.key)) return { key: issue.key, skipped: `the plan of ${releaseKey(release.id)} mentions it` };
  return { key: issue.key, recorded: await recordIncident(ctx, 'jira', release.id, issue.key, 'jira') };
}

/**
 * Jira's `issuelink_deleted`: when the link that made an issue count as an incident of a release is
 * removed, it no longer counts. The link is known by its id from the effect that looked at it.
 */
export async function jiraIssueUnlinked(ctx: CoreContext, linkId: string, delivery?: string): Promise<{ release: number; removed: string } | { ignored: string } | { duplicate: true }> {
  const effect = await findOutbox(ctx.db, `jira:issuelink:${linkId}`);
  const result = effect?.result as { key?: string; recorded?: boolean } | null | undefined;
  if (!effect?.release_id || !result?.key || result.recorded === undefined) return { ignored: 'not a link that made an incident' };
  const releaseId = effect.release_id;
  const key = result.key;
  const now = ctx.clock();
  return changeTransaction(ctx, async (trx) => {
    if (delivery && !(await firstDelivery(trx, delivery, now))) return { duplicate: true as const };
    const release = await loadRelease(trx, releaseId, { lock: true });
    if (!(await removeIncident(trx, releaseId, key, 'jira'))) return { ignored: `${key} is not an incident of ${releaseKey(releaseId)}` };
    await recordChange(trx, { release, actor: 'jira', action: 'incident_removed', after: { ref: key, source: 'jira' }, at: now });
    return { release: releaseId, removed: key };
  });
}

/** What resolving an incident did: resolved now, or found resolved before; with its times. */
export interface IncidentResolution {
  ref: string;
  resolved: boolean;
  recordedAt: Date;
  resolvedAt: Date;
}

/**
 * `/release incident resolve REL-n <ref>`: the incident caused by the release is over. Its time to
 * restore counts from its recording to now. Audited once; resolving it again changes nothing. A ref
 * the release has no incident of is refused with the ones it has.
 */
export async function resolveIncidentOf(ctx: CoreContext, actor: string, id: number, ref: string): Promise<IncidentResolution> {
  const text = ref.trim().replace(/\s+/g, ' ');
  if (!text) throw new DomainError('invalid_input', 'Say which incident is resolved: its Jira key or the words it was recorded with.', { field: 'ref' });
  const now = ctx.clock();
  return changeTransaction(ctx, async (trx) => {
    const release = await loadRelease(trx, id, { lock: true });
    const done = await resolveIncident(trx, id, text, now);
    if (!done || 'stale' in done) {
      const known = await incidentsOf(trx, id);
      const list = known.length ? `Its incidents: ${known.map((i) => `"${fragment(i.ref, 60)}"${i.resolvedAt ? ' (resolved)' : ''}`).join(', ')}.` : `It has none; \`/release incident ${releaseKey(id)} INC-42\` records one.`;
      throw new DomainError('not_found', `${releaseKey(id)} has no incident "${fragment(text, 60)}". ${list}`, { field: 'ref' });
    }
    if (done.changed) await recordChange(trx, { release, actor, action: 'incident_resolved', after: { ref: done.ref, source: 'slack', recordedAt: done.recordedAt.toISOString(), resolvedAt: done.resolvedAt.toISOString() }, at: now });
    return { ref: done.ref, resolved: done.changed, recordedAt: done.recordedAt, resolvedAt: done.resolvedAt };
  });
}

/** Why a Jira event changed nothing because a newer one was taken first (Jira delivers out of order). */
function staleReason(key: string, stale: StaleJiraEvent): string {
  return `${key}: this Jira event (${stale.stale.event.toISOString()}) is older than the newest relm took for the incident (${stale.stale.newest.toISOString()}), so it changes nothing`;
}

/**
 * Jira said an issue is resolved (its status category became done, or a resolution was set): when it is
 * a recorded incident of a release (its key as the ref, in any case; linked from Jira or typed in
 * Slack), the incident is resolved at `at`. Once per delivery and per incident; an issue that is no
 * recorded incident is ignored. `eventAt` is the event's own time (the webhook's `timestamp`): Jira
 * does not deliver in order and retries late, so an event older than one already taken is ignored.
 */
export async function jiraIncidentResolved(ctx: CoreContext, key: string, at: Date, delivery?: string, eventAt?: Date): Promise<{ resolved: { release: number; ref: string }[] } | { ignored: string; stale?: true } | { duplicate: true }> {
  const incidents = await incidentsByRef(ctx.db, key);
  if (incidents.length === 0) return { ignored: `${key} is not an incident of any release` };
  const now = ctx.clock();
  // Jira's resolution time where it gave one, but never a time relm has not reached yet.
  const when = new Date(Math.min(at.getTime(), now.getTime()));
  return changeTransaction(ctx, async (trx) => {
    if (delivery && !(await firstDelivery(trx, delivery, now))) return { duplicate: true as const };
    const resolved: { release: number; ref: string }[] = [];
    let stale: StaleJiraEvent | undefined;
    for (const incident of incidents) {
      const release = await loadRelease(trx, incident.releaseId, { lock: true });
      const done = await resolveIncident(trx, incident.releaseId, incident.ref, when, eventAt);
      if (done && 'stale' in done) stale ??= done;
      if (!done || 'stale' in done || !done.changed) continue;
      await recordChange(trx, { release, actor: 'jira', action: 'incident_resolved', after: { ref: done.ref, source: 'jira', recordedAt: done.recordedAt.toISOString(), resolvedAt: done.resolvedAt.toISOString() }, at: now });
      resolved.push({ release: incident.releaseId, ref: done.ref });
    }
    if (resolved.length > 0) return { resolved };
    return stale ? { ignored: staleReason(key, stale), stale: true as const } : { ignored: `${key} is not an open incident of any release` };
  });
}

/**
 * Jira said a resolved issue was reopened (its resolution cleared, as Jira's reopen transitions do):
 * when it is a resolved incident of a release, it is open again, and its time to restore will run to
 * its next resolution. Once per delivery and per incident, in Jira's order as `jiraIncidentResolved`;
 * any other issue is ignored.
 */
export async function jiraIncidentReopened(ctx: CoreContext, key: string, delivery?: string, eventAt?: Date): Promise<{ reopened: { release: number; ref: string }[] } | { ignored: string; stale?: true } | { duplicate: true }> {
  const incidents = await incidentsByRef(ctx.db, key);
  if (incidents.length === 0) return { ignored: `${key} is not an incident of any release` };
  const now = ctx.clock();
  return changeTransaction(ctx, async (trx) => {
    if (delivery && !(await firstDelivery(trx, delivery, now))) return { duplicate: true as const };
    const reopened: { release: number; ref: string }[] = [];
    let stale: StaleJiraEvent | undefined;
    for (const incident of incidents) {
      const release = await loadRelease(trx, incident.releaseId, { lock: true });
      const done = await reopenIncident(trx, incident.releaseId, incident.ref, eventAt);
      if (done && 'stale' in done) stale ??= done;
      if (!done || 'stale' in done) continue;
      await recordChange(trx, { release, actor: 'jira', action: 'incident_reopened', after: { ref: done.ref, source: 'jira', resolvedAt: done.resolvedAt.toISOString() }, at: now });
      reopened.push({ release: incident.releaseId, ref: done.ref });
    }
    if (reopened.length > 0) return { reopened };
    return stale ? { ignored: staleReason(key, stale), stale: true as const } : { ignored: `${key} is not a resolved incident of any release` };
  });
}
