import { isApiError, isRateLimitError, withRetry } from 'jira.js/core';
import { ChangeTrackerRejectedError, type ChangeTicket, type ChangeTracker, type LinkOutcome, type TicketField } from '../../core/ports/change-tracker.ts';
import { SKIP, formatField, type FieldSchema } from './field-format.ts';

export type JiraDeployment = 'cloud' | 'datacenter';

/** An issue as the search, create and get calls return it: only what relm reads. */
export interface JiraIssueRef {
  id?: string;
  key?: string;
  fields?: Record<string, unknown>;
}

/**
 * What differs between Jira Cloud and Jira Data Center: the client, the REST paths and the rich-text
 * format of descriptions and comments. Everything else (idempotent raise, field formatting, link
 * de-duplication, 404 and 429 handling) is the tracker's, the same for both.
 */
export interface JiraApi {
  readonly deployment: JiraDeployment;
  /** The REST path that lists the site's fields, for messages that send the operator there. */
  readonly fieldsPath: string;
  /** Headings and plain-text paragraphs in the deployment's rich text (ADF on Cloud, wiki markup on Data Center). */
  document(sections: ChangeTicket['sections']): unknown;
  searchIssues(jql: string, fields: string[], maxResults: number): Promise<JiraIssueRef[]>;
  /** `update` carries what Jira applies with the create, e.g. `issuelinks` to link the new issue at once. */
  createIssue(fields: Record<string, unknown>, update?: Record<string, unknown>): Promise<JiraIssueRef>;
  editIssue(key: string, fields: Record<string, unknown>): Promise<void>;
  getIssue(idOrKey: string, fields: string[]): Promise<JiraIssueRef>;
  getTransitions(key: string): Promise<{ id?: string; name?: string }[]>;
  doTransition(key: string, transitionId: string): Promise<void>;
  addComment(key: string, body: unknown): Promise<void>;
  linkIssues(linkType: string, outwardKey: string, inwardKey: string): Promise<void>;
  getFields(): Promise<{ id?: string; schema?: unknown }[]>;
  /** The signed-in user, by the best name the deployment has. */
  myself(): Promise<string>;
}

/** A call to Jira that took longer than RELM_HTTP_TIMEOUT_MS: the effect job tries again later. */
export class JiraTimeoutError extends Error {
  override name = 'JiraTimeoutError';
}

/**
 * jira.js takes no abort signal, so a call that hangs is left behind rather than cancelled; the
 * caller is answered with a JiraTimeoutError and its job retries (searching before it creates).
 */
function withTimeout<T>(what: string, work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new JiraTimeoutError(`Jira did not answer within ${timeoutMs} ms when asked to ${what}`)), timeoutMs);
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Carries an error past withRetry, which must not retry it. */
class NotRetried {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

/**
 * One call to Jira: 5xx and network errors are retried (by the client, and here), a 429 waits out
 * Retry-After. With `once`, only a 429 is tried again: a create that failed any other way may have
 * happened, so the effect job retries it after searching for what it made.
 */
async function call<T>(what: string, work: () => Promise<T>, timeoutMs: number, once = false, retryBaseMs = 1_000): Promise<T> {
  const attempt = async () => {
    try {
      return await withTimeout(what, work(), timeoutMs);
    } catch (error) {
      throw once && !isRateLimitError(error) ? new NotRetried(error) : error;
    }
  };
  try {
    return await withRetry(attempt, { retryRateLimit: true, maxAttempts: 3, initialDelayMs: retryBaseMs });
  } catch (thrown) {
    const error = thrown instanceof NotRetried ? thrown.error : thrown;
    if (isApiError(error) && error.status === 404) throw new ChangeTrackerRejectedError(`Jira refused to ${what} (404): ${error.message}`, { cause: 404 });
    if (isApiError(error) && !isRateLimitError(error) && error.status >= 400 && error.status < 500) {
      throw new ChangeTrackerRejectedError(`Jira refused to ${what} (${error.status}): ${error.message}`);
    }
    throw error;
  }
}

type IssueLinks = { issuelinks?: { type?: { name?: string }; inwardIssue?: { key?: string }; outwardIssue?: { key?: string } }[] };

/** Change tickets in Jira, Cloud or Data Center by the adapter it is given (jira-cloud-api.ts, jira-datacenter-api.ts; create-jira-tracker.ts picks one). */
export class JiraChangeTracker implements ChangeTracker {
  readonly api: JiraApi;
  readonly #timezone: string;
  /** The site's fields by id, read once per process (and again when a mapped id is not among them). */
  #fields?: Promise<Map<string, FieldSchema>>;

  readonly #timeoutMs: number;
  readonly #retryBaseMs: number | undefined;

  /** `retryBaseMs`: the first wait between the in-place retries of one call (1 s); the effect job retries after those. */
  constructor(api: JiraApi, options: { timezone?: string; timeoutMs?: number; retryBaseMs?: number } = {}) {
    this.api = api;
    this.#timezone = options.timezone ?? 'UTC';
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#retryBaseMs = options.retryBaseMs;
  }

  #call<T>(what: string, work: () => Promise<T>, options: { once?: boolean } = {}): Promise<T> {
    return call(what, work, this.#timeoutMs, options.once, this.#retryBaseMs);
  }

  get deployment(): JiraDeployment {
    return this.api.deployment;
  }

  async raise(ticket: ChangeTicket): Promise<{ key: string; id: string; created: boolean }> {
    const found = await this.#call('search for the ticket', () => this.api.searchIssues(`project = "${ticket.project}" AND labels = "${ticket.correlation}"`, ['summary'], 1));
    const existing = found[0];
    if (existing?.key && existing.id) return { key: existing.key, id: existing.id, created: false };
    // Every mapped field is checked before the ticket exists, so a wrong id never leaves a half-filled ticket.
    const fields = await this.#format((ticket.fields ?? []).filter((f) => f.value !== null));
    const created = await this.#call('create the change ticket', () =>
      this.api.createIssue({
        project: { key: ticket.project },
        issuetype: { name: ticket.issueType },
        summary: ticket.summary.slice(0, 250),
        labels: [ticket.correlation],
        description: this.api.document(ticket.sections),
        ...fields,
      }, ticket.links?.length ? { issuelinks: ticket.links.map((l) => ({ add: { type: { name: l.type }, outwardIssue: { key: l.key } } })) } : undefined),
      { once: true },
    );
    if (!created.key || !created.id) throw new Error('Jira created the ticket but returned no key or id');
    return { key: created.key, id: created.id, created: true };
  }

  async #siteFields(fresh: boolean): Promise<Map<string, FieldSchema>> {
    if (fresh || !this.#fields) {
      this.#fields = this.#call('list the fields', () => this.api.getFields()).then((all) => new Map(all.filter((f) => f.id && f.schema).map((f) => [f.id!, f.schema as FieldSchema])));
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
      if (!schema) throw new ChangeTrackerRejectedError(`jira.fields.${field.name} names ${field.id}, which is not a field on this Jira site (GET ${this.api.fieldsPath} lists the ids)`);
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
    const fields = { ...(await this.#format(change.fields)), ...(change.sections ? { description: this.api.document(change.sections) } : {}) };
    if (Object.keys(fields).length === 0) return;
    await this.#call(`update ${key}`, () => this.api.editIssue(key, fields));
  }

  async link(key: string, others: string[], linkType: string): Promise<LinkOutcome> {
    const outcome: LinkOutcome = { linked: [], already: [], missing: [] };
    if (others.length === 0) return outcome;
    // Links the ticket has now, so a retried job (or a link made by hand) is never doubled.
    const issue = await this.#call(`read the links of ${key}`, () => this.api.getIssue(key, ['issuelinks']));
    const linked = new Set(
      ((issue.fields as IssueLinks | undefined)?.issuelinks ?? [])
        .filter((l) => l.type?.name?.toLowerCase() === linkType.toLowerCase())
        .map((l) => l.inwardIssue?.key ?? l.outwardIssue?.key),
    );
    for (const other of others) {
      if (linked.has(other)) {
        outcome.already.push(other);
        continue;
      }
      try {
        await this.#call(`link ${key} to ${other}`, () => this.api.linkIssues(linkType, key, other));
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
      const issue = await this.#call(`read issue ${idOrKey}`, () => this.api.getIssue(idOrKey, ['issuetype']));
      return { key: issue.key ?? idOrKey, type: (issue.fields as { issuetype?: { name?: string } } | undefined)?.issuetype?.name ?? '' };
    } catch (error) {
      if (error instanceof ChangeTrackerRejectedError && error.cause === 404) return undefined;
      throw error;
    }
  }

  async moveTo(key: string, transitionName: string): Promise<'moved' | 'not_available'> {
    const available = await this.#call('list transitions', () => this.api.getTransitions(key));
    const transition = available.find((t) => t.name?.toLowerCase() === transitionName.toLowerCase());
    if (!transition?.id) return 'not_available';
    await this.#call(`move ${key} by "${transitionName}"`, () => this.api.doTransition(key, transition.id!));
    return 'moved';
  }

  async comment(key: string, text: string): Promise<void> {
    await this.#call(`comment on ${key}`, () => this.api.addComment(key, this.api.document([{ heading: 'relm', text }])));
  }

  async whoAmI(): Promise<string> {
    return this.#call('read the current user', () => this.api.myself());
  }
}
