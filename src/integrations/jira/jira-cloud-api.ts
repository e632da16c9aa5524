import { createCloudClient } from 'jira.js';
import type { ChangeTicket } from '../../core/ports/change-tracker.ts';
import type { JiraApi, JiraIssueRef } from './jira-tracker.ts';

/** Plain text as an Atlassian Document Format paragraph list (Jira Cloud REST v3 wants ADF). */
export function adf(sections: ChangeTicket['sections']): Record<string, unknown> {
  const content: Record<string, unknown>[] = [];
  for (const section of sections) {
    content.push({ type: 'heading', attrs: { level: 3 }, content: [{ type: 'text', text: section.heading }] });
    for (const line of section.text.split('\n').filter((l) => l.trim())) content.push({ type: 'paragraph', content: [{ type: 'text', text: line }] });
  }
  return { type: 'doc', version: 1, content };
}

/** Jira Cloud: REST v3 through jira.js's Cloud client, basic auth with an email and an API token, ADF bodies. */
export class JiraCloudApi implements JiraApi {
  readonly deployment = 'cloud' as const;
  readonly fieldsPath = '/rest/api/3/field';
  readonly client: ReturnType<typeof createCloudClient>;
  /** For creating an issue: a 5xx may come after Jira made it, so only the effect job retries, searching first. */
  readonly #once: ReturnType<typeof createCloudClient>;

  constructor(options: { host: string; email: string; apiToken: string }) {
    const config = { host: options.host, auth: { type: 'basic' as const, email: options.email, apiToken: options.apiToken }, onSchemaMismatch: 'silent' as const };
    this.client = createCloudClient({ ...config, retry: { maxAttempts: 3, initialDelayMs: 200, backoffFactor: 2 } });
    this.#once = createCloudClient({ ...config, retry: { maxAttempts: 1 } });
  }

  document(sections: ChangeTicket['sections']): unknown {
    return adf(sections);
  }

  async searchIssues(jql: string, fields: string[], maxResults: number): Promise<JiraIssueRef[]> {
    const found = await this.client.issueSearch.searchAndReconsileIssuesUsingJql({ jql, fields, maxResults });
    return (found.issues ?? []) as JiraIssueRef[];
  }

  async createIssue(fields: Record<string, unknown>, update?: Record<string, unknown>): Promise<JiraIssueRef> {
    return this.#once.issues.createIssue({ fields: fields as never, ...(update ? { update: update as never } : {}) });
  }

  async editIssue(key: string, fields: Record<string, unknown>): Promise<void> {
    await this.client.issues.editIssue({ issueIdOrKey: key, fields, notifyUsers: false });
  }

  async getIssue(idOrKey: string, fields: string[]): Promise<JiraIssueRef> {
    return (await this.client.issues.getIssue({ issueIdOrKey: idOrKey, fields })) as JiraIssueRef;
  }

  async getTransitions(key: string): Promise<{ id?: string; name?: string }[]> {
    return (await this.client.issues.getTransitions({ issueIdOrKey: key })).transitions ?? [];
  }

  async doTransition(key: string, transitionId: string): Promise<void> {
    await this.client.issues.doTransition({ issueIdOrKey: key, transition: { id: transitionId } });
  }

  async addComment(key: string, body: unknown): Promise<void> {
    await this.client.issueComments.addComment({ issueIdOrKey: key, body: body as never });
  }

  async linkIssues(linkType: string, outwardKey: string, inwardKey: string): Promise<void> {
    await this.client.issueLinks.linkIssues({ type: { name: linkType }, outwardIssue: { key: outwardKey }, inwardIssue: { key: inwardKey } });
  }

  async getFields(): Promise<{ id?: string; schema?: unknown }[]> {
    return this.client.issueFields.getFields();
  }

  async myself(): Promise<string> {
    const me = await this.client.myself.getCurrentUser();
    return me.displayName ?? me.emailAddress ?? me.accountId ?? 'unknown';
  }
}
