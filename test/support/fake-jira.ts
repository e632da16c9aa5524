import { createServer, type Server } from 'node:http';
import { closeNow, guarded, listenLocally, readBody } from './local-server.ts';

export interface JiraCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: any;
  auth?: string;
  /** The REST API version of the path: 3 for Jira Cloud's calls, 2 for Data Center's. */
  api?: '2' | '3';
}

interface Ticket {
  id: string;
  key: string;
  fields: Record<string, any>;
  status: string;
  comments: any[];
}

interface Link {
  id: string;
  type: { id: string; name: string; inward: string; outward: string };
  inward: Ticket;
  outward: Ticket;
}

const LINK_TYPES = [
  { id: '10000', name: 'Blocks', inward: 'is blocked by', outward: 'blocks' },
  { id: '10003', name: 'Relates', inward: 'relates to', outward: 'relates to' },
];

const custom = (id: number, name: string, type: string, kind: string) => ({
  id: `customfield_${id}`, key: `customfield_${id}`, name, custom: true, orderable: true, navigable: true, searchable: true,
  clauseNames: [`cf[${id}]`, name], schema: { type, custom: `com.atlassian.jira.plugin.system.customfieldtypes:${kind}`, customId: id },
});

/** The site's fields as `GET /rest/api/3/field` lists them: a few system fields and the custom fields tests map. */
export const SITE_FIELDS = [
  { id: 'summary', key: 'summary', name: 'Summary', custom: false, orderable: true, navigable: true, searchable: true, clauseNames: ['summary'], schema: { type: 'string', system: 'summary' } },
  { id: 'duedate', key: 'duedate', name: 'Due date', custom: false, orderable: true, navigable: true, searchable: true, clauseNames: ['due', 'duedate'], schema: { type: 'date', system: 'duedate' } },
  custom(10061, 'Planned start', 'datetime', 'datetime'),
  custom(10062, 'Planned end', 'datetime', 'datetime'),
  custom(10041, 'Change risk', 'option', 'select'),
  custom(10070, 'Release link', 'string', 'url'),
  custom(10080, 'Change day', 'date', 'datepicker'),
];

/** An injected answer; with `after`, the request is handled first (the answer is lost on the way back). */
/** An injected failure: `status` instead of the answer (or, with `after`, once the work is done), or the work done and its answer held back `delayMs`. */
type Fault = { status?: number; delayMs?: number; method?: string; path?: RegExp; headers?: Record<string, string>; body?: unknown; after?: boolean };

/** A Data Center user as `GET /rest/api/2/myself` shows it: a username and key, no accountId. */
const DC_USER = { self: '', key: 'JIRAUSER10100', name: 'relm-bot', emailAddress: 'relm@example.com', displayName: 'relm bot', active: true, deleted: false, timeZone: 'Europe/London', locale: 'en_GB' };

/** Rich text as each API version wants it: an ADF document on Cloud's v3, a wiki-markup string on v2. */
function wrongFormat(api: '2' | '3', value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (api === '2' && typeof value !== 'string') return 'Operation value must be a string';
  if (api === '3' && (typeof value !== 'object' || (value as { type?: string } | null)?.type !== 'doc')) return 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
  return undefined;
}

/**
 * Jira on 127.0.0.1 for what relm calls: Cloud's REST v3 and Data Center's REST v2 (`/rest/api/2/...`),
 * each in its own response shapes (v2 after Atlassian's Jira Data Center REST reference: `GET /search`
 * with startAt/maxResults/total, users with `name` and `key`, fields without `key`, wiki-markup string
 * descriptions and comment bodies; v3 takes ADF documents and searches at `/search/jql`): create issue,
 * JQL search, transitions, comments, myself, fields, edit issue, issue links. A small workflow moves
 * statuses by transition name. Every request is recorded with its path, API version and Authorization header.
 */
export class FakeJira {
  readonly calls: JiraCall[] = [];
  readonly tickets: Ticket[] = [];
  readonly faults: Fault[] = [];
  /** While set, every request is answered with this status (Jira or its gateway down); faults wait till then. */
  outage?: number;
  readonly links: Link[] = [];
  readonly fields = [...SITE_FIELDS];
  /** Transitions offered from any status, by name, and the status each leads to. */
  readonly workflow: Record<string, string> = { 'Awaiting approval': 'Awaiting approval', Approved: 'Approved', Declined: 'Declined', Implementing: 'Implementing', Completed: 'Completed', Failed: 'Failed', Cancelled: 'Cancelled' };
  url = '';
  #server?: Server;
  #id = 10000;

  /** Issues created by `POST /issue` (not those a test added), in order, with their fields as sent. */
  created(): Ticket[] {
    return this.tickets.filter((t) => t.fields.project);
  }

  /** The links of one issue as `GET /issue/{key}?fields=issuelinks` shows them: the link type and the other issue's key. */
  linksOf(key: string): { type: string; key: string }[] {
    const ticket = this.tickets.find((t) => t.key === key);
    return ticket ? this.#linksOf(ticket, '3').map((l: any) => ({ type: l.type.name, key: (l.inwardIssue ?? l.outwardIssue).key })) : [];
  }

  /** An issue that exists on the site before relm looks (a story, an incident) for links to point at. */
  addIssue(key: string, type: string): Ticket {
    const ticket: Ticket = { id: String(++this.#id), key, fields: { summary: `${type} ${key}`, issuetype: { name: type } }, status: 'Open', comments: [] };
    this.tickets.push(ticket);
    return ticket;
  }

  /** Links as Jira shows them on one issue: the other side, seen from this one. */
  #linksOf(ticket: Ticket, api: '2' | '3') {
    return this.links
      .filter((l) => l.inward === ticket || l.outward === ticket)
      .map((l) => {
        const other = l.inward === ticket ? l.outward : l.inward;
        const side = { id: other.id, key: other.key, self: `${this.url}/rest/api/${api}/issue/${other.id}`, fields: { summary: other.fields.summary, status: { name: other.status }, issuetype: other.fields.issuetype } };
        return { id: l.id, self: `${this.url}/rest/api/${api}/issueLink/${l.id}`, type: l.type, ...(l.inward === ticket ? { outwardIssue: side } : { inwardIssue: side }) };
      });
  }

  #unknownFields(fields: Record<string, unknown>): Record<string, string> {
    const known = new Set([...this.fields.map((f) => f.id), 'project', 'issuetype', 'labels', 'description']);
    return Object.fromEntries(Object.keys(fields).filter((id) => !known.has(id)).map((id) => [id, `Field '${id}' cannot be set. It is not on the appropriate screen, or unknown.`]));
  }

  async start(): Promise<this> {
    this.#server = createServer(guarded(async (req, res) => {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://jira');
      const body = raw ? JSON.parse(raw) : undefined;
      const api = /^\/rest\/api\/(2|3)\//.exec(url.pathname)?.[1] as '2' | '3' | undefined;
      this.calls.push({ method: req.method!, path: url.pathname, query: Object.fromEntries(url.searchParams), body, auth: req.headers.authorization, api });
      let lost: Fault | undefined;
      let holdAnswerMs = 0;
      const send = async (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
        if (holdAnswerMs) await new Promise((resolve) => setTimeout(resolve, holdAnswerMs));
        if (res.destroyed) return;
        if (lost) [status, payload, headers] = [lost.status!, lost.body ?? { errorMessages: ['Injected failure'], errors: {} }, lost.headers ?? {}];
        res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
        res.end(payload === undefined ? '' : JSON.stringify(payload));
      };
      if (this.outage) return send(this.outage, { errorMessages: ['Service unavailable'], errors: {} });
      const at = this.faults.findIndex((f) => (!f.method || f.method === req.method) && (!f.path || f.path.test(url.pathname)));
      if (at >= 0) {
        const fault = this.faults.splice(at, 1)[0]!;
        if (fault.delayMs) holdAnswerMs = fault.delayMs;
        else if (fault.after) lost = fault;
        else return send(fault.status!, fault.body ?? { errorMessages: ['Injected failure'], errors: {} }, fault.headers);
      }
      if (!api) return send(404, { errorMessages: ['Not found'], errors: {} });
      const path = url.pathname.slice(`/rest/api/${api}`.length);
      const self = (t: Ticket) => `${this.url}/rest/api/${api}/issue/${t.id}`;
      if (path === '/myself') {
        if (api === '2') return send(200, { ...DC_USER, self: `${this.url}/rest/api/2/user?username=relm-bot`, groups: { size: 1, items: [] }, applicationRoles: { size: 1, items: [] }, expand: 'groups,applicationRoles' });
        return send(200, { accountId: '5b10a2844c20165700ede21g', displayName: 'relm bot', emailAddress: 'relm@example.com', active: true, timeZone: 'Europe/London' });
      }
      if (path === '/issue' && req.method === 'POST') {
        const fields = body?.fields ?? {};
        if (!fields.project?.key || !fields.summary || !fields.issuetype?.name) return send(400, { errorMessages: [], errors: { summary: 'You must specify a summary of the issue.' } });
        const unknown = this.#unknownFields(fields);
        if (Object.keys(unknown).length) return send(400, { errorMessages: [], errors: unknown });
        const format = wrongFormat(api, fields.description);
        if (format) return send(400, { errorMessages: [], errors: { description: format } });
        // Links made with the create (`update.issuelinks`, each `{ add: { type, inwardIssue | outwardIssue } }`): checked
        // before the issue exists, as Jira does, so a bad link leaves no half-made issue.
        const adds = (Array.isArray(body?.update?.issuelinks) ? body.update.issuelinks : []).map((op: any) => op?.add);
        const planned: { type: Link['type']; other: Ticket; otherIs: 'inward' | 'outward' }[] = [];
        for (const add of adds) {
          const type = LINK_TYPES.find((t) => t.name === add?.type?.name || t.id === add?.type?.id);
          if (!type) return send(400, { errorMessages: [], errors: { issuelinks: `No issue link type with name '${add?.type?.name}' found.` } });
          const ref = add?.outwardIssue ?? add?.inwardIssue;
          const other = this.tickets.find((t) => t.key === ref?.key || t.id === ref?.id);
          if (!other) return send(400, { errorMessages: [], errors: { issuelinks: `Issue '${ref?.key ?? ref?.id}' does not exist.` } });
          planned.push({ type, other, otherIs: add.outwardIssue ? 'outward' : 'inward' });
        }
        const ticket: Ticket = { id: String(++this.#id), key: `${fields.project.key}-${this.tickets.filter((t) => t.key.startsWith(`${fields.project.key}-`)).length + 1}`, fields, status: 'Open', comments: [] };
        this.tickets.push(ticket);
        for (const link of planned) this.links.push({ id: String(++this.#id), type: link.type, inward: link.otherIs === 'outward' ? ticket : link.other, outward: link.otherIs === 'outward' ? link.other : ticket });
        return send(201, { id: ticket.id, key: ticket.key, self: self(ticket) });
      }
      if ((api === '3' && path === '/search/jql') || (api === '2' && path === '/search' && req.method === 'GET')) {
        const label = /labels = "([^"]+)"/.exec(url.searchParams.get('jql') ?? '')?.[1];
        const found = this.tickets.filter((t) => (t.fields.labels ?? []).includes(label));
        const maxResults = Number(url.searchParams.get('maxResults') ?? 50);
        if (api === '2') {
          // Data Center's SearchResults: offset paging with a total (Cloud's /search/jql pages by token instead).
          return send(200, { expand: 'schema,names', startAt: 0, maxResults, total: found.length, issues: found.slice(0, maxResults).map((t) => ({ expand: 'operations,versionedRepresentations,editmeta,changelog,renderedFields', id: t.id, self: self(t), key: t.key, fields: { summary: t.fields.summary } })) });
        }
        return send(200, { issues: found.map((t) => ({ id: t.id, key: t.key, self: self(t), fields: { summary: t.fields.summary } })), isLast: true });
      }
      // Data Center's field list has no `key` on each field (Cloud's has).
      if (path === '/field' && req.method === 'GET') return send(200, api === '2' ? this.fields.map(({ key: _key, ...field }) => field) : this.fields);
      if (path === '/issueLink' && req.method === 'POST') {
        const type = LINK_TYPES.find((t) => t.name === body?.type?.name || t.id === body?.type?.id);
        if (!type) return send(404, { errorMessages: [`No issue link type with name '${body?.type?.name}' found.`], errors: {} });
        const find = (ref: { key?: string; id?: string } | undefined) => this.tickets.find((t) => t.key === ref?.key || t.id === ref?.id);
        const inward = find(body?.inwardIssue);
        const outward = find(body?.outwardIssue);
        if (!inward || !outward) return send(404, { errorMessages: ['Issue Does Not Exist'], errors: {} });
        this.links.push({ id: String(++this.#id), type, inward, outward });
        return send(201);
      }
      const issue = /^\/issue\/([^/]+)(\/transitions|\/comment)?$/.exec(path);
      const ticket = issue ? this.tickets.find((t) => t.key === issue[1] || t.id === issue[1]) : undefined;
      if (issue && !ticket) return send(404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
      if (ticket && issue![2] === '/transitions' && req.method === 'GET') {
        const transitions = Object.entries(this.workflow).map(([name, to], i) => ({ id: String(11 + i), name, to: { name: to, id: String(100 + i) }, hasScreen: false, isAvailable: true }));
        return send(200, { expand: 'transitions', transitions });
      }
      if (ticket && issue![2] === '/transitions' && req.method === 'POST') {
        const entry = Object.entries(this.workflow).find((_, i) => String(11 + i) === body?.transition?.id);
        if (!entry) return send(400, { errorMessages: ['Transition id is not valid for this issue.'], errors: {} });
        ticket.status = entry[1];
        return send(204);
      }
      if (ticket && issue![2] === '/comment' && req.method === 'POST') {
        const format = wrongFormat(api, body?.body);
        if (format || body?.body === undefined) return send(400, { errorMessages: [], errors: { comment: format ?? 'Comment body can not be empty!' } });
        const created = new Date().toISOString().replace('Z', '+0000');
        const author = api === '2' ? { ...DC_USER, self: `${this.url}/rest/api/2/user?username=relm-bot` } : { accountId: '5b10a2844c20165700ede21g', displayName: 'relm bot' };
        const comment = { self: `${self(ticket)}/comment/${this.#id + 1}`, id: String(++this.#id), author, body: body.body, updateAuthor: author, created, updated: created };
        ticket.comments.push(comment);
        return send(201, comment);
      }
      if (ticket && !issue![2] && req.method === 'PUT') {
        const unknown = this.#unknownFields(body?.fields ?? {});
        if (Object.keys(unknown).length) return send(400, { errorMessages: [], errors: unknown });
        const format = wrongFormat(api, body?.fields?.description);
        if (format) return send(400, { errorMessages: [], errors: { description: format } });
        Object.assign(ticket.fields, body?.fields ?? {});
        return send(204);
      }
      if (ticket && req.method === 'GET') {
        const all: Record<string, unknown> = { ...ticket.fields, issuetype: ticket.fields.issuetype, status: { name: ticket.status }, issuelinks: this.#linksOf(ticket, api) };
        const wanted = url.searchParams.get('fields')?.split(',');
        const fields = wanted ? Object.fromEntries(Object.entries(all).filter(([k]) => wanted.includes(k))) : all;
        return send(200, { expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations', id: ticket.id, key: ticket.key, self: self(ticket), fields });
      }
      return send(404, { errorMessages: ['Not found'], errors: {} });
    }));
    this.url = await listenLocally(this.#server);
    return this;
  }

  async stop(): Promise<void> {
    await closeNow(this.#server);
  }
}
