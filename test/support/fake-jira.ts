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

type Fault = { status: number; method?: string; path?: RegExp; headers?: Record<string, string>; body?: unknown };

/**
 * Jira Cloud REST v3 on 127.0.0.1 for what relm calls, in its response shapes: create issue, JQL
 * search, transitions, comments, myself. A small workflow moves statuses by transition name.
 */
export class FakeJira {
  readonly calls: JiraCall[] = [];
  readonly tickets: Ticket[] = [];
  readonly faults: Fault[] = [];
  /** Transitions offered from any status, by name, and the status each leads to. */
  readonly workflow: Record<string, string> = { 'Awaiting approval': 'Awaiting approval', Approved: 'Approved', Declined: 'Declined', Implementing: 'Implementing', Completed: 'Completed', Failed: 'Failed', Cancelled: 'Cancelled' };
  url = '';
  #server?: Server;
  #id = 10000;

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
        const ticket: Ticket = { id: String(++this.#id), key: `${fields.project.key}-${this.tickets.length + 1}`, fields, status: 'Open', comments: [] };
        this.tickets.push(ticket);
        return send(201, { id: ticket.id, key: ticket.key, self: self(ticket) });
      }
      if (url.pathname === '/rest/api/3/search/jql') {
        const label = /labels = "([^"]+)"/.exec(url.searchParams.get('jql') ?? '')?.[1];
        const found = this.tickets.filter((t) => (t.fields.labels ?? []).includes(label));
        return send(200, { issues: found.map((t) => ({ id: t.id, key: t.key, self: self(t), fields: { summary: t.fields.summary } })), isLast: true });
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
      if (ticket && req.method === 'GET') return send(200, { id: ticket.id, key: ticket.key, self: self(ticket), fields: { ...ticket.fields, status: { name: ticket.status } } });
      return send(404, { errorMessages: ['Not found'], errors: {} });
    });
    this.url = await listenLocally(this.#server);
    return this;
  }

  async stop(): Promise<void> {
    await closeNow(this.#server);
  }
}
