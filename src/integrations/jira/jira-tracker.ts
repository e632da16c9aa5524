import { createCloudClient } from 'jira.js';
import { isApiError, isRateLimitError, withRetry } from 'jira.js/core';
import { ChangeTrackerRejectedError, type ChangeTicket, type ChangeTracker, type LinkOutcome, type TicketField } from '../../core/change-tracker.ts';
import { SKIP, formatField, type FieldSchema } from './field-format.ts';

export interface JiraOptions {
  host: string;
  email: string;
  apiToken: string;
  /** relm's timezone: the day a date field takes. */
  timezone?: string;
}

/** Plain text as an Atlassian Document Format paragraph list (Jira Cloud REST v3 wants ADF). */
export function adf(sections: { heading: string; text: string }[]): Record<string, unknown> {
  const content: Record<string, unknown>[] = [];
  for (const section of sections) {
    content.push({ type: 'heading', attrs: { level: 3 }, content: [{ type: 'text', text: section.heading }] });
    for (const line of section.text.split('\n').filter((l) => l.trim())) content.push({ type: 'paragraph', content: [{ type: 'text', text: line }] });
  }
  return { type: 'doc', version: 1, content };
}

async function call<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    // 5xx and network errors are retried by the client; a 429 waits out Retry-After here.
    return await withRetry(work, { retryRateLimit: true, maxAttempts: 3 });
  } catch (error) {
    if (isApiError(error) && error.status === 404) throw new ChangeTrackerRejectedError(`Jira refused to ${what} (404): ${error.message}`, { cause: 404 });
    if (isApiError(error) && !isRateLimitError(error) && error.status >= 400 && error.status < 500) {
      throw new ChangeTrackerRejectedError(`Jira refused to ${what} (${error.status}): ${error.message}`);
    }
    throw error;
  }
}

/** Change tickets in Jira Cloud (REST v3) through jira.js. */
export class JiraChangeTracker implements ChangeTracker {
  readonly client: ReturnType<typeof createCloudClient>;
  readonly #timezone: string;
  /** The site's fields by id, read once per process (and again when a mapped id is not among them). */
  #fields?: Promise<Map<string, FieldSchema>>;

  constructor(options: JiraOptions) {
    this.#timezone = options.timezone ?? 'UTC';
    this.client = createCloudClient({
      host: options.host,
      auth: { type: 'basic', email: options.email, apiToken: options.apiToken },
      retry: { maxAttempts: 3, initialDelayMs: 200, backoffFactor: 2 },
      onSchemaMismatch: 'silent',
    });
  }

  async raise(ticket: ChangeTicket): Promise<{ key: string; id: string; created: boolean }> {
    const found = await call('search for the ticket', () =>
      this.client.issueSearch.searchAndReconsileIssuesUsingJql({ jql: `project = "${ticket.project}" AND labels = "${ticket.correlation}"`, fields: ['summary'], maxResults: 1 }),
    );
    const existing = found.issues?.[0];
    if (existing?.key && existing.id) return { key: existing.key, id: existing.id, created: false };
    // Every mapped field is checked before the ticket exists, so a wrong id never leaves a half-filled ticket.
    const fields = await this.#format((ticket.fields ?? []).filter((f) => f.value !== null));
    const created = await call('create the change ticket', () =>
      this.client.issues.createIssue({
        fields: {
          project: { key: ticket.project },
          issuetype: { name: ticket.issueType },
          summary: ticket.summary.slice(0, 250),
          labels: [ticket.correlation],
          description: adf(ticket.sections),
          ...fields,
        },
      }),
    );
    if (!created.key || !created.id) throw new Error('Jira created the ticket but returned no key or id');
    return { key: created.key, id: created.id, created: true };
  }

  async #siteFields(fresh: boolean): Promise<Map<string, FieldSchema>> {
    if (fresh || !this.#fields) {
      this.#fields = call('list the fields', () => this.client.issueFields.getFields()).then((all) => new Map(all.filter((f) => f.id && f.schema).map((f) => [f.id!, f.schema as FieldSchema])));
      this.#fields.catch(() => (this.#fields = undefined));
    }
    return this.#fields;
  }

  /** Mapped fields in Jira's shapes, by the type each field has on this site. */
  async #format(fields: TicketField[]): Promise<Record<string, unknown>> {
    if (fields.length === 0) return {};
    let site = await this.#siteFields(false);
    if (fields.some((f) => !site.has(f.id))) site = await this.#siteFields(true);
    const out: Record<string, unknown> = {};
    for (const field of fields) {
      const schema = site.get(field.id);
      if (!schema) throw new ChangeTrackerRejectedError(`jira.fields.${field.name} names ${field.id}, which is not a field on this Jira site (GET /rest/api/3/field lists the ids)`);
      const value = formatField(field, schema, this.#timezone);
      if (value !== SKIP) out[field.id] = value;
    }
    return out;
  }

  /** Mapped ids that are not fields on this site (for doctor). */
  async missingFields(ids: string[]): Promise<string[]> {
    const site = await this.#siteFields(true);
    return ids.filter((id) => !site.has(id));
  }

  async update(key: string, change: { fields: TicketField[]; sections?: ChangeTicket['sections'] }): Promise<void> {
    const fields = { ...(await this.#format(change.fields)), ...(change.sections ? { description: adf(change.sections) } : {}) };
    if (Object.keys(fields).length === 0) return;
    await call(`update ${key}`, () => this.client.issues.editIssue({ issueIdOrKey: key, fields, notifyUsers: false }));
  }

  async link(key: string, others: string[], linkType: string): Promise<LinkOutcome> {
    const outcome: LinkOutcome = { linked: [], already: [], missing: [] };
    if (others.length === 0) return outcome;
    // Links the ticket has now, so a retried job (or a link made by hand) is never doubled.
    const issue = await call(`read the links of ${key}`, () => this.client.issues.getIssue({ issueIdOrKey: key, fields: ['issuelinks'] }));
    const linked = new Set(
      ((issue.fields as { issuelinks?: { type?: { name?: string }; inwardIssue?: { key?: string }; outwardIssue?: { key?: string } }[] } | undefined)?.issuelinks ?? [])
        .filter((l) => l.type?.name?.toLowerCase() === linkType.toLowerCase())
        .map((l) => l.inwardIssue?.key ?? l.outwardIssue?.key),
    );
    for (const other of others) {
      if (linked.has(other)) {
        outcome.already.push(other);
        continue;
      }
      try {
        await call(`link ${key} to ${other}`, () => this.client.issueLinks.linkIssues({ type: { name: linkType }, outwardIssue: { key }, inwardIssue: { key: other } }));
        outcome.linked.push(other);
      } catch (error) {
        // Jira answers 404 for an unknown link type too; only an issue that really is not there is "missing".
        if (!(error instanceof ChangeTrackerRejectedError && error.cause === 404) || (await this.describe(other))) throw error;
        outcome.missing.push(other);
      }
    }
    return outcome;
  }

  async describe(idOrKey: string): Promise<{ key: string; type: string } | undefined> {
    try {
      const issue = await call(`read issue ${idOrKey}`, () => this.client.issues.getIssue({ issueIdOrKey: idOrKey, fields: ['issuetype'] }));
      return { key: issue.key ?? idOrKey, type: (issue.fields as { issuetype?: { name?: string } } | undefined)?.issuetype?.name ?? '' };
    } catch (error) {
      if (error instanceof ChangeTrackerRejectedError && error.cause === 404) return undefined;
      throw error;
    }
  }

  async moveTo(key: string, transitionName: string): Promise<'moved' | 'not_available'> {
    const available = await call('list transitions', () => this.client.issues.getTransitions({ issueIdOrKey: key }));
    const transition = available.transitions?.find((t) => t.name?.toLowerCase() === transitionName.toLowerCase());
    if (!transition?.id) return 'not_available';
    await call(`move ${key} by "${transitionName}"`, () => this.client.issues.doTransition({ issueIdOrKey: key, transition: { id: transition.id } }));
    return 'moved';
  }

  async comment(key: string, text: string): Promise<void> {
    await call(`comment on ${key}`, () => this.client.issueComments.addComment({ issueIdOrKey: key, body: adf([{ heading: 'relm', text }]) as never }));
  }

  async whoAmI(): Promise<string> {
    const me = await call('read the current user', () => this.client.myself.getCurrentUser());
    return me.displayName ?? me.emailAddress ?? me.accountId ?? 'unknown';
  }
}
