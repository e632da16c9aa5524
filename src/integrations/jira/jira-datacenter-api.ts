import { createClient, type Client } from 'jira.js/core';
import type { ChangeTicket } from '../../core/ports/change-tracker.ts';
import type { JiraApi, JiraIssueRef } from './jira-tracker.ts';
import { wikiMarkup } from './wiki-markup.ts';

const issuePath = (idOrKey: string) => `/rest/api/2/issue/${encodeURIComponent(idOrKey)}`;

/**
 * Jira Data Center: REST v2 through jira.js's core client (jira.js 6.2 has no Data Center client),
 * a Personal Access Token as `Authorization: Bearer`, wiki-markup descriptions and comments.
 */
export class JiraDataCenterApi implements JiraApi {
  readonly deployment = 'datacenter' as const;
  readonly fieldsPath = '/rest/api/2/field';
  readonly client: Client;
  /** For creating an issue: a 5xx may come after Jira made it, so only the effect job retries, searching first. */
  readonly #once: Client;

  constructor(options: { host: string; token: string }) {
    const config = { host: options.host, auth: { type: 'bearer' as const, token: options.token } };
    this.client = createClient({ ...config, retry: { maxAttempts: 3, initialDelayMs: 200, backoffFactor: 2 } });
    this.#once = createClient({ ...config, retry: { maxAttempts: 1 } });
  }

  document(sections: ChangeTicket['sections']): unknown {
    return wikiMarkup(sections);
  }

  async searchIssues(jql: string, fields: string[], maxResults: number): Promise<JiraIssueRef[]> {
    // Data Center keeps GET /search (Cloud moved to /search/jql).
    const found = await this.client.sendRequest<{ issues?: JiraIssueRef[] }>({ method: 'GET', url: '/rest/api/2/search', searchParams: { jql, fields: fields.join(','), maxResults } });
    return found?.issues ?? [];
  }

  async createIssue(fields: Record<string, unknown>, update?: Record<string, unknown>): Promise<JiraIssueRef> {
    return (await this.#once.sendRequest<JiraIssueRef | undefined>({ method: 'POST', url: '/rest/api/2/issue', body: { fields, ...(update ? { update } : {}) } })) ?? {};
  }

  async editIssue(key: string, fields: Record<string, unknown>): Promise<void> {
    await this.client.sendRequest({ method: 'PUT', url: issuePath(key), searchParams: { notifyUsers: false }, body: { fields } });
  }

  async getIssue(idOrKey: string, fields: string[]): Promise<JiraIssueRef> {
    return (await this.client.sendRequest<JiraIssueRef | undefined>({ method: 'GET', url: issuePath(idOrKey), searchParams: { fields: fields.join(',') } })) ?? {};
  }

  async getTransitions(key: string): Promise<{ id?: string; name?: string }[]> {
    const found = await this.client.sendRequest<{ transitions?: { id?: string; name?: string }[] } | undefined>({ method: 'GET', url: `${issuePath(key)}/transitions` });
    return found?.transitions ?? [];
  }

  async doTransition(key: string, transitionId: string): Promise<void> {
    await this.client.sendRequest({ method: 'POST', url: `${issuePath(key)}/transitions`, body: { transition: { id: transitionId } } });
  }

  async addComment(key: string, body: unknown): Promise<void> {
    await this.client.sendRequest({ method: 'POST', url: `${issuePath(key)}/comment`, body: { body } });
  }

  async linkIssues(linkType: string, outwardKey: string, inwardKey: string): Promise<void> {
    await this.client.sendRequest({ method: 'POST', url: '/rest/api/2/issueLink', body: { type: { name: linkType }, outwardIssue: { key: outwardKey }, inwardIssue: { key: inwardKey } } });
  }

  async getFields(): Promise<{ id?: string; schema?: unknown }[]> {
    return (await this.client.sendRequest<{ id?: string; schema?: unknown }[] | undefined>({ method: 'GET', url: '/rest/api/2/field' })) ?? [];
  }

  async myself(): Promise<string> {
    // Data Center users have a username (`name`) and a `key`, not Cloud's accountId.
    const me = await this.client.sendRequest<{ displayName?: string; name?: string; emailAddress?: string; key?: string } | undefined>({ method: 'GET', url: '/rest/api/2/myself' });
    return me?.displayName ?? me?.name ?? me?.emailAddress ?? me?.key ?? 'unknown';
  }
}
