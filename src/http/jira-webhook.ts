import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CoreContext } from '../core/context.ts';
import { jiraDecision } from '../core/usecases/decide.ts';
import { jiraIncidentReopened, jiraIncidentResolved, jiraIssueLinked, jiraIssueUnlinked } from '../core/usecases/incidents.ts';
import { jiraCancelled } from '../core/usecases/cancel.ts';
import { replyJson } from './respond.ts';
import { webhookRoute } from './webhook-route.ts';
import { jiraStatusMeans, type JiraStatuses } from '../core/jira-statuses.ts';
import { releaseIdByJiraKey } from '../store/repositories/releases.ts';


/** Jira Cloud signs webhooks that have a secret with `X-Hub-Signature: sha256=<HMAC-SHA256 of the body>`. */
export function verifyJiraSignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * When an issue update says the issue is resolved: its status category is done (Jira's "Done" column,
 * whatever the status is called) or it has a resolution. The time is Jira's `resolutiondate`, else the
 * webhook's own timestamp, else undefined (relm's clock decides).
 */
export function jiraResolution(payload: any): { at?: Date } | undefined {
  if (payload?.webhookEvent !== 'jira:issue_updated') return undefined;
  const fields = payload?.issue?.fields;
  const done = fields?.status?.statusCategory?.key === 'done';
  const resolution = fields?.resolution !== null && typeof fields?.resolution === 'object';
  if (!done && !resolution) return undefined;
  for (const value of [fields?.resolutiondate, payload?.timestamp]) {
    const at = typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
    if (at && !Number.isNaN(at.getTime())) return { at };
  }
  return {};
}

/** The time Jira gives the event itself (`timestamp`, milliseconds), which orders its deliveries. */
export function jiraEventTime(payload: any): Date | undefined {
  const value = payload?.timestamp;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/**
 * When an issue update reopens the issue: it had a resolution and this update cleared it (Jira's
 * reopen transitions do), and it is not in a status of the done category now.
 */
export function jiraReopening(payload: any): boolean {
  if (payload?.webhookEvent !== 'jira:issue_updated') return false;
  const fields = payload?.issue?.fields;
  if (fields?.status?.statusCategory?.key === 'done' || (fields?.resolution !== null && typeof fields?.resolution === 'object')) return false;
  const items: unknown[] = Array.isArray(payload?.changelog?.items) ? payload.changelog.items : [];
  return items.some((item) => {
    const { field, from, to } = (item ?? {}) as { field?: unknown; from?: unknown; to?: unknown };
    return field === 'resolution' && from !== null && from !== undefined && from !== '' && (to === null || to === undefined || to === '');
  });
}

/**
 * POST /webhooks/jira: a change ticket approved or declined in Jira counts as a decision where the
 * release's policy takes Jira as an approval source; an issue linked to a change ticket
 * (`issuelink_created`) may be an incident caused by the release, and such an incident resolved in
 * Jira is resolved in relm (and open again when Jira reopens it). Each webhook delivery is processed once.
 */
export function jiraWebhookRoute(ctx: CoreContext, secret: string | undefined, statuses: JiraStatuses) {
  return webhookRoute({
    path: '/webhooks/jira',
    db: ctx.db,
    off: secret ? undefined : 'Jira webhooks are off: set JIRA_WEBHOOK_SECRET',
    verify: (body, headers) => verifyJiraSignature(secret!, body, headers['x-hub-signature'] as string | undefined),
    deliveryKey: (headers) => (headers['x-atlassian-webhook-identifier'] ? `jira:${String(headers['x-atlassian-webhook-identifier'])}` : undefined),
    async handle({ payload, delivery }, res) {
      if (payload?.webhookEvent === 'issuelink_created') {
        const link = payload.issueLink;
        const [linkId, source, destination] = [link?.id, link?.sourceIssueId, link?.destinationIssueId].map((v) => (typeof v === 'number' || typeof v === 'string' ? String(v) : undefined));
        if (!linkId || !source || !destination) return replyJson(res, 400, { error: 'issueLink needs id, sourceIssueId and destinationIssueId' });
        const linked = await jiraIssueLinked(ctx, { id: linkId, source, destination }, delivery);
        return replyJson(res, 'duplicate' in linked ? 200 : 202, linked);
      }
      if (payload?.webhookEvent === 'issuelink_deleted') {
        const linkId = payload.issueLink?.id;
        if (typeof linkId !== 'number' && typeof linkId !== 'string') return replyJson(res, 400, { error: 'issueLink needs an id' });
        return replyJson(res, 200, await jiraIssueUnlinked(ctx, String(linkId), delivery));
      }
      const key = payload?.issue?.key;
      const items: unknown[] = Array.isArray(payload?.changelog?.items) ? payload.changelog.items : [];
      const status = (items.find((i) => (i as { field?: unknown } | null)?.field === 'status') as { toString?: unknown } | undefined)?.toString ?? payload?.issue?.fields?.status?.name;
      if (typeof key !== 'string' || typeof status !== 'string') return replyJson(res, 202, { ignored: 'no issue status' });
      const releaseId = await releaseIdByJiraKey(ctx.db, key);
      if (releaseId === undefined) {
        // Not a change ticket: perhaps an incident a release caused, now resolved.
        const resolution = jiraResolution(payload);
        const reopening = !resolution && jiraReopening(payload);
        const eventAt = jiraEventTime(payload);
        const outcome = resolution ? await jiraIncidentResolved(ctx, key, resolution.at ?? ctx.clock(), delivery, eventAt) : reopening ? await jiraIncidentReopened(ctx, key, delivery, eventAt) : undefined;
        if (outcome && !('ignored' in outcome)) return replyJson(res, 200, outcome);
        if (outcome && 'stale' in outcome) return replyJson(res, 202, { ignored: outcome.ignored });
        return replyJson(res, 202, { ignored: `${key} is not a relm change ticket${resolution ? ' nor an open incident' : reopening ? ' nor a resolved incident' : ''}` });
      }
      const who = String(payload?.user?.displayName ?? 'someone');
      const means = jiraStatusMeans(statuses, status);
      if (means === 'cancel') return replyJson(res, 200, { release: releaseId, outcome: await jiraCancelled(ctx, releaseId, who, delivery) });
      if (!means) return replyJson(res, 202, { ignored: `status ${status}` });
      return replyJson(res, 200, { release: releaseId, outcome: await jiraDecision(ctx, releaseId, means, who, delivery) });
    },
  });
}
