import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CoreContext } from '../core/context.ts';
import { jiraDecision } from '../core/usecases/decide.ts';
import { jiraIssueLinked, jiraIssueUnlinked } from '../core/usecases/incidents.ts';
import { alreadyDelivered } from '../store/repositories/deliveries.ts';
import { jiraCancelled } from '../core/usecases/replan.ts';
import { MAX_WEBHOOK_BYTES, readLimited, replyJson } from './respond.ts';


/** Jira Cloud signs webhooks that have a secret with `X-Hub-Signature: sha256=<HMAC-SHA256 of the body>`. */
export function verifyJiraSignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * POST /webhooks/jira: a change ticket approved or declined in Jira counts as a decision where the
 * release's policy takes Jira as an approval source; an issue linked to a change ticket
 * (`issuelink_created`) may be an incident caused by the release. Each webhook delivery is processed once.
 */
export function jiraWebhookRoute(ctx: CoreContext, secret: string | undefined, statuses: { approved: string[]; declined: string[]; cancelled: string[] }) {
  return {
    path: '/webhooks/jira',
    method: 'POST',
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      if (!secret) return replyJson(res, 503, { error: 'Jira webhooks are off: set JIRA_WEBHOOK_SECRET' });
      const body = await readLimited(req, res, MAX_WEBHOOK_BYTES);
      if (body === undefined) return replyJson(res, 413, { error: 'body too large' });
      if (!verifyJiraSignature(secret, body, req.headers['x-hub-signature'] as string | undefined)) return replyJson(res, 401, { error: 'signature does not verify' });
      let payload: any;
      try {
        payload = JSON.parse(body);
      } catch {
        return replyJson(res, 400, { error: 'body is not JSON' });
      }
      const id = String(req.headers['x-atlassian-webhook-identifier'] ?? '');
      // Marked as taken in the same transaction as what it does, so a delivery that failed half-way is taken again.
      const delivery = id ? `jira:${id}` : undefined;
      if (delivery && (await alreadyDelivered(ctx.db, delivery))) return replyJson(res, 200, { duplicate: true });
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
        const unlinked = await jiraIssueUnlinked(ctx, String(linkId), delivery);
        return replyJson(res, 200, unlinked);
      }
      const key = payload?.issue?.key;
      const items: unknown[] = Array.isArray(payload?.changelog?.items) ? payload.changelog.items : [];
      const status = (items.find((i) => (i as { field?: unknown } | null)?.field === 'status') as { toString?: unknown } | undefined)?.toString ?? payload?.issue?.fields?.status?.name;
      if (typeof key !== 'string' || typeof status !== 'string') return replyJson(res, 202, { ignored: 'no issue status' });
      const release = await ctx.db.selectFrom('releases').select('id').where('jira_key', '=', key).executeTakeFirst();
      if (!release) return replyJson(res, 202, { ignored: `${key} is not a relm change ticket` });
      const who = String(payload?.user?.displayName ?? 'someone');
      if (statuses.cancelled.includes(status)) return replyJson(res, 200, { release: release.id, outcome: await jiraCancelled(ctx, release.id, who, delivery) });
      const decision = statuses.approved.includes(status) ? 'approve' : statuses.declined.includes(status) ? 'reject' : undefined;
      if (!decision) return replyJson(res, 202, { ignored: `status ${status}` });
      return replyJson(res, 200, { release: release.id, outcome: await jiraDecision(ctx, release.id, decision, who, delivery) });
    },
  };
}
