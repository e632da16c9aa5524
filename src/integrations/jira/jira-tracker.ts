import { createCloudClient } from 'jira.js';
import { isApiError, isRateLimitError, withRetry } from 'jira.js/core';
import { ChangeTrackerRejectedError, type ChangeTicket, type ChangeTracker } from '../../core/change-tracker.ts';

export interface JiraOptions {
  host: string;
  email: string;
  apiToken: string;
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
    if (isApiError(error) && !isRateLimitError(error) && error.status >= 400 && error.status < 500) {
      throw new ChangeTrackerRejectedError(`Jira refused to ${what} (${error.status}): ${error.message}`);
    }
    throw error;
  }
}

/** Change tickets in Jira Cloud (REST v3) through jira.js. */
export class JiraChangeTracker implements ChangeTracker {
  readonly client: ReturnType<typeof createCloudClient>;

  constructor(options: JiraOptions) {
    this.client = createCloudClient({
      host: options.host,
      auth: { type: 'basic', email: options.email, apiToken: options.apiToken },
      retry: { maxAttempts: 3, initialDelayMs: 200, backoffFactor: 2 },
      onSchemaMismatch: 'silent',
    });
  }

  async raise(ticket: ChangeTicket): Promise<{ key: string; created: boolean }> {
    const found = await call('search for the ticket', () =>
      this.client.issueSearch.searchAndReconsileIssuesUsingJql({ jql: `project = "${ticket.project}" AND labels = "${ticket.correlation}"`, fields: ['summary'], maxResults: 1 }),
    );
    const existing = found.issues?.[0]?.key;
    if (existing) return { key: existing, created: false };
    const created = await call('create the change ticket', () =>
      this.client.issues.createIssue({
        fields: {
          project: { key: ticket.project },
          issuetype: { name: ticket.issueType },
          summary: ticket.summary.slice(0, 250),
          labels: [ticket.correlation],
          description: adf(ticket.sections),
        },
      }),
    );
    if (!created.key) throw new Error('Jira created the ticket but returned no key');
    return { key: created.key, created: true };
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
