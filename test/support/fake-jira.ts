import { createServer, type Server } from 'node:http';
import { closeNow, listenLocally, readBody } from './local-server.ts';

export interface JiraCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: any;
  auth?: string;
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

type Fault = { status: number; method?: string; path?: RegExp; headers?: Record<string, string>; body?: unknown };

/**
 * Jira Cloud REST v3 on 127.0.0.1 for what relm calls, in its response shapes: create issue, JQL
 * search, transitions, comments, myself, fields, edit issue, issue links. A small workflow moves statuses by
 * transition name.
 */
export class FakeJira {
  readonly calls: JiraCall[] = [];
  readonly tickets: Ticket[] = [];
  readonly faults: Fault[] = [];
  readonly links: Link[] = [];
  readonly fields = [...SITE_FIELDS];
  /** Transitions offered from any status, by name, and the status each leads to. */
  readonly workflow: Record<string, string> = { 'Awaiting approval': 'Awaiting approval', Approved: 'Approved', Declined: 'Declined', Implementing: 'Implementing', Completed: 'Completed', Failed: 'Failed', Cancelled: 'Cancelled' };
  url = '';
  #server?: Server;
  #id = 10000;

  /** An issue that exists on the site before relm looks (a story, an incident) for links to point at. */
  addIssue(key: string, type: string): Ticket {
    const ticket: Ticket = { id: String(++this.#id), key, fields: { summary: `${type} ${key}`, issuetype: { name: type } }, status: 'Open', comments: [] };
    this.tickets.push(ticket);
    return ticket;
  }

  /** Links as Jira shows them on one issue: the other side, seen from this one. */
  #linksOf(ticket: Ticket) {
    return this.links
      .filter((l) => l.inward === ticket || l.outward === ticket)
      .map((l) => {
        const other = l.inward === ticket ? l.outward : l.inward;
        const side = { id: other.id, key: other.key, self: `${this.url}/rest/api/3/issue/${other.id}`, fields: { summary: other.fields.summary, status: { name: other.status }, issuetype: other.fields.issuetype } };
        return { id: l.id, self: `${this.url}/rest/api/3/issueLink/${l.id}`, type: l.type, ...(l.inward === ticket ? { outwardIssue: side } : { inwardIssue: side }) };
      });
  }

  #unknownFields(fields: Record<string, unknown>): Record<string, string> {
    const known = new Set([...this.fields.map((f) => f.id), 'project', 'issuetype', 'labels', 'description']);
    return Object.fromEntries(Object.keys(fields).filter((id) => !known.has(id)).map((id) => [id, `Field '${id}' cannot be set. It is not on the appropriate screen, or unknown.`]));
  }

  async start(): Promise<this> {
    this.#server = createServer(async (req, res) => {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://jira');
      const body = raw ? JSON.parse(raw) : undefined;
      this.calls.push({ method: req.method!, path: url.pathname, query: Object.fromEntries(url.searchParams), body, auth: req.headers.authorization });
      const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
        res.end(payload === undefined ? '' : JSON.stringify(payload));
      };
      const at = this.faults.findIndex((f) => (!f.method || f.method === req.method) && (!f.path || f.path.test(url.pathname)));
      if (at >= 0) {
        const fault = this.faults.splice(at, 1)[0]!;
        return send(fault.status, fault.body ?? { errorMessages: ['Injected failure'], errors: {} }, fault.headers);
      }
      const self = (t: Ticket) => `${this.url}/rest/api/3/issue/${t.id}`;
      if (url.pathname === '/rest/api/3/myself') return send(200, { accountId: '5b10a2844c20165700ede21g', displayName: 'relm bot', emailAddress: 'relm@example.com', active: true, timeZone: 'Europe/London' });
      if (url.pathname === '/rest/api/3/issue' && req.method === 'POST') {
        const fields = body?.fields ?? {};
        if (!fields.project?.key || !fields.summary || !fields.issuetype?.name) return send(400, { errorMessages: [], errors: { summary: 'You must specify a summary of the issue.' } });
        const unknown = this.#unknownFields(fields);
        if (Object.keys(unknown).length) return send(400, { errorMessages: [], errors: unknown });
        const ticket: Ticket = { id: String(++this.#id), key: `${fields.project.key}-${this.tickets.filter((t) => t.key.startsWith(`${fields.project.key}-`)).length + 1}`, fields, status: 'Open', comments: [] };
        this.tickets.push(ticket);
        return send(201, { id: ticket.id, key: ticket.key, self: self(ticket) });
      }
      if (url.pathname === '/rest/api/3/search/jql') {
        const label = /labels = "([^"]+)"/.exec(url.searchParams.get('jql') ?? '')?.[1];
        const found = this.tickets.filter((t) => (t.fields.labels ?? []).includes(label));
        return send(200, { issues: found.map((t) => ({ id: t.id, key: t.key, self: self(t), fields: { summary: t.fields.summary } })), isLast: true });
      }
      if (url.pathname === '/rest/api/3/field' && req.method === 'GET') return send(200, this.fields);
      if (url.pathname === '/rest/api/3/issueLink' && req.method === 'POST') {
        const type = LINK_TYPES.find((t) => t.name === body?.type?.name || t.id === body?.type?.id);
        if (!type) return send(404, { errorMessages: [`No issue link type with name '${body?.type?.name}' found.`], errors: {} });
        const find = (ref: { key?: string; id?: string } | undefined) => this.tickets.find((t) => t.key === ref?.key || t.id === ref?.id);
        const inward = find(body?.inwardIssue);
        const outward = find(body?.outwardIssue);
        if (!inward || !outward) return send(404, { errorMessages: ['Issue Does Not Exist'], errors: {} });
        this.links.push({ id: String(++this.#id), type, inward, outward });
        return send(201);
      }
      const issue = /^\/rest\/api\/3\/issue\/([^/]+)(\/transitions|\/comment)?$/.exec(url.pathname);
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
        const comment = { id: String(++this.#id), body: body?.body, created: new Date().toISOString(), author: { accountId: '5b10a2844c20165700ede21g', displayName: 'relm bot' } };
        ticket.comments.push(comment);
        return send(201, comment);
      }
      if (ticket && !issue![2] && req.method === 'PUT') {
        const unknown = this.#unknownFields(body?.fields ?? {});
        if (Object.keys(unknown).length) return send(400, { errorMessages: [], errors: unknown });
        Object.assign(ticket.fields, body?.fields ?? {});
        return send(204);
      }
      if (ticket && req.method === 'GET') {
        const all: Record<string, unknown> = { ...ticket.fields, issuetype: ticket.fields.issuetype, status: { name: ticket.status }, issuelinks: this.#linksOf(ticket) };
        const wanted = url.searchParams.get('fields')?.split(',');
        const fields = wanted ? Object.fromEntries(Object.entries(all).filter(([k]) => wanted.includes(k))) : all;
        return send(200, { expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations', id: ticket.id, key: ticket.key, self: self(ticket), fields });
      }
      return send(404, { errorMessages: ['Not found'], errors: {} });
    });
    this.url = await listenLocally(this.#server);
    return this;
  }

  async stop(): Promise<void> {
    await closeNow(this.#server);
  }
}
