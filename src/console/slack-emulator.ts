import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';

/**
 * A Slack Web API on 127.0.0.1 that answers like Slack for the methods relm calls, keeps the messages
 * it was sent, and can be told to fail. The local console uses it as its Slack; tests use it as the fake
 * Slack the real @slack/web-api client talks to.
 */

export interface EmulatedMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: any[];
  threadTs?: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  /** Files shared with the message (files.completeUploadExternal into a channel). */
  files?: { id: string; name: string; title: string }[];
  edits: number;
}

/** A file uploaded through files.getUploadURLExternal → upload → files.completeUploadExternal. */
export interface EmulatedFile {
  id: string;
  filename: string;
  /** The length files.getUploadURLExternal was told. */
  length: number;
  altText?: string;
  title?: string;
  /** What was uploaded to the upload URL, byte for byte. */
  bytes?: Buffer;
  /** Where files.completeUploadExternal shared it (unset while not completed, or completed without a channel). */
  channel?: string;
  threadTs?: string;
  completed: boolean;
}

export interface RecordedCall {
  method: string;
  args: Record<string, any>;
  token?: string;
  /** When it arrived (the host's clock). */
  at: number;
  /** Answered 429 by the emulator's posting limits. */
  limited?: boolean;
}

/** Slack's posting limits, as a test or bench sets them: per channel, and a workspace-wide token bucket. */
export interface PostLimits {
  perChannelPerSecond?: number;
  workspacePerSecond?: number;
  /** The Retry-After to answer with (default: the wait until a post would be taken, rounded up). */
  retryAfterSeconds?: number;
}

export interface EphemeralMessage {
  channel?: string;
  user?: string;
  text: string;
  blocks?: any[];
  via: 'chat.postEphemeral' | 'response_url';
  /** The response_url it came through, for the response_url kind. */
  responseUrl?: string;
}

export type Fault = { status: 429; retryAfterSeconds?: number } | { status: 500 | 502 | 503 } | { delayMs: number } | { slackError: string };

function ok(res: ServerResponse, body: Record<string, unknown>): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: true, ...body }));
}

function fail(res: ServerResponse, error: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: false, error }));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** WebClient sends form fields, with objects and arrays as JSON strings; the emulator decodes both. */
function decodeArgs(body: string, contentType: string | undefined): Record<string, any> {
  if (contentType?.includes('application/json')) return body ? JSON.parse(body) : {};
  const form = parseQuery(body) as Record<string, string>;
  const args: Record<string, any> = {};
  for (const [key, value] of Object.entries(form)) {
    if (typeof value === 'string' && /^[[{]/.test(value)) {
      try {
        args[key] = JSON.parse(value);
        continue;
      } catch {
        // not JSON after all
      }
    }
    args[key] = value;
  }
  return args;
}

export class SlackEmulator extends EventEmitter {
  readonly calls: RecordedCall[] = [];
  readonly messages: EmulatedMessage[] = [];
  readonly ephemerals: EphemeralMessage[] = [];
  readonly views: { triggerId?: string; view: any; id: string }[] = [];
  /** Every views.publish, in order: whose App Home and the view it was set to. */
  readonly homes: { user: string; view: any }[] = [];
  /** Every file upload begun, by file id, with its bytes once uploaded. */
  readonly files = new Map<string, EmulatedFile>();
  readonly userGroups = new Map<string, string[]>();
  readonly users = new Map<string, { tz?: string; name?: string }>();
  /** Users Slack would not let relm write to (deactivated). */
  readonly deactivated = new Set<string>();
  #limits: PostLimits = {};
  readonly #lastPost = new Map<string, number>();
  #bucket = { tokens: 0, at: 0 };
  readonly #faults = new Map<string, Fault[]>();
  #outage?: Fault;
  #server?: Server;
  #clock = 1_700_000_000;
  #seq = 0;
  #responseUrls = new Map<string, { channel?: string; user?: string }>();
  url = '';
  /** Where apps.connections.open sends a Socket Mode client (a fake Socket Mode server's ws:// URL). */
  socketModeUrl?: string;

  async start(port = 0): Promise<this> {
    this.#server = createServer((req, res) => {
      // A client gone mid-request (a relm process killed while it sends) ends that request only.
      this.#handle(req, res).catch((error) => {
        if (res.writableEnded || res.destroyed || req.socket.destroyed) return;
        if (!res.headersSent) res.writeHead(500);
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    const address = this.#server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  /** The base URL to give @slack/web-api as slackApiUrl. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A response_url for one slash command or click, as Slack would put in its payload. */
  responseUrl(target: { channel?: string; user?: string }): string {
    const id = `r${++this.#seq}`;
    this.#responseUrls.set(id, target);
    return `${this.url}/response/${id}`;
  }

  /** The next calls to `method` fail as told, one fault per call. */
  inject(method: string, ...faults: Fault[]): void {
    this.#faults.set(method, [...(this.#faults.get(method) ?? []), ...faults]);
  }

  /** Every Web API call fails as told (a Slack outage) until `recover()`; one-off faults wait till then. */
  outage(fault: Fault): void {
    this.#outage = fault;
  }

  recover(): void {
    this.#outage = undefined;
  }

  /** Enforces posting limits on chat.postMessage from now on, answering 429 with Retry-After as Slack does. */
  limitPosts(limits: PostLimits): void {
    this.#limits = limits;
    this.#bucket = { tokens: limits.workspacePerSecond ?? 0, at: Date.now() };
  }

  /** The wait a post must have before Slack would take it, or 0 (and the post counts). */
  #postWait(channel: string): number {
    const now = Date.now();
    const { perChannelPerSecond, workspacePerSecond } = this.#limits;
    if (perChannelPerSecond) {
      const last = this.#lastPost.get(channel);
      const spacing = 1_000 / perChannelPerSecond;
      if (last !== undefined && now - last < spacing) return spacing - (now - last);
    }
    if (workspacePerSecond) {
      this.#bucket.tokens = Math.min(workspacePerSecond, this.#bucket.tokens + ((now - this.#bucket.at) / 1_000) * workspacePerSecond);
      this.#bucket.at = now;
      if (this.#bucket.tokens < 1) return ((1 - this.#bucket.tokens) / workspacePerSecond) * 1_000;
      this.#bucket.tokens -= 1;
    }
    if (perChannelPerSecond) this.#lastPost.set(channel, now);
    return 0;
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Top-level messages of a channel (thread replies excluded). */
  channelMessages(channel: string): EmulatedMessage[] {
    return this.messages.filter((m) => m.channel === channel && !m.threadTs);
  }

  /** The latest App Home view published for a user, if any. */
  homeOf(user: string): any | undefined {
    return this.homes.filter((h) => h.user === user).at(-1)?.view;
  }

  thread(channel: string, ts: string): EmulatedMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.threadTs === ts);
  }

  reset(): void {
    this.calls.length = 0;
    this.messages.length = 0;
    this.ephemerals.length = 0;
    this.views.length = 0;
    this.homes.length = 0;
    this.files.clear();
    this.#faults.clear();
    this.#outage = undefined;
  }

  #nextTs(): string {
    this.#seq++;
    return `${this.#clock + this.#seq}.${String(this.#seq).padStart(6, '0')}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url?.split('?')[0] ?? '';
    const bytes = await readBody(req);
    if (path.startsWith('/upload/')) return this.#receiveUpload(path.slice('/upload/'.length), req, bytes, res);
    const raw = bytes.toString('utf8');
    if (path.startsWith('/response/')) {
      const target = this.#responseUrls.get(path.slice('/response/'.length));
      if (!target) return fail(res, 'expired_url');
      const body = decodeArgs(raw, req.headers['content-type']);
      const message: EphemeralMessage = { ...target, text: String(body.text ?? ''), blocks: body.blocks, via: 'response_url', responseUrl: `${this.url}${path}` };
      this.ephemerals.push(message);
      this.emit('ephemeral', message);
      return ok(res, {});
    }
    if (!path.startsWith('/api/')) {
      res.writeHead(404);
      res.end();
      return;
    }
    const method = path.slice('/api/'.length);
    const args = decodeArgs(raw, req.headers['content-type']);
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || args.token;
    const call: RecordedCall = { method, args, token, at: Date.now() };
    this.calls.push(call);

    const fault = this.#outage ?? this.#faults.get(method)?.shift();
    if (fault && 'delayMs' in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    else if (fault && 'status' in fault) {
      res.writeHead(fault.status, fault.status === 429 ? { 'retry-after': String(fault.retryAfterSeconds ?? 1) } : {});
      res.end(fault.status === 429 ? JSON.stringify({ ok: false, error: 'ratelimited' }) : 'upstream error');
      return;
    } else if (fault && 'slackError' in fault) return fail(res, fault.slackError);

    // apps.connections.open takes the app-level token (xapp-), every other method the bot token.
    if (method === 'apps.connections.open') {
      if (!String(token ?? '').startsWith('xapp-')) return fail(res, 'not_allowed_token_type');
      return this.socketModeUrl ? ok(res, { url: this.socketModeUrl }) : fail(res, 'internal_error');
    }
    if (!token || !String(token).startsWith('xox')) return fail(res, 'not_authed');
    if (method === 'chat.postMessage' && args.channel) {
      const wait = this.#postWait(String(args.channel));
      if (wait > 0) {
        call.limited = true;
        res.writeHead(429, { 'retry-after': String(this.#limits.retryAfterSeconds ?? Math.max(1, Math.ceil(wait / 1_000))) });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
    }
    this.#answer(method, args, res);
  }

  /** The upload URL's end: Slack takes the bytes, raw or as a multipart form's file (filesUploadV2 sends a form), and answers 200. */
  async #receiveUpload(id: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const file = this.files.get(id);
    let bytes = body;
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('multipart/form-data')) {
      const form = await new Request('http://upload.invalid/', { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(body) }).formData();
      const part = [...form.values()].find((value): value is File => typeof value !== 'string');
      bytes = part ? Buffer.from(await part.arrayBuffer()) : Buffer.alloc(0);
    }
    this.calls.push({ method: 'upload', args: { file_id: id, bytes: bytes.length }, at: Date.now() });
    if (!file || req.method !== 'POST') {
      res.writeHead(404);
      res.end();
      return;
    }
    file.bytes = bytes;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`OK - ${bytes.length}`);
  }

  /** The files shared in a channel, oldest first, with their bytes. */
  sharedFiles(channel: string): EmulatedFile[] {
    return [...this.files.values()].filter((f) => f.completed && f.channel === channel);
  }

  #answer(method: string, args: Record<string, any>, res: ServerResponse): void {
    switch (method) {
      case 'files.getUploadURLExternal': {
        const length = Number(args.length);
        if (!args.filename) return fail(res, 'invalid_arguments');
        if (!Number.isInteger(length) || length <= 0) return fail(res, 'invalid_length');
        const id = `F${String(++this.#seq).padStart(8, '0')}`;
        this.files.set(id, { id, filename: String(args.filename), length, altText: args.alt_text, completed: false });
        return ok(res, { upload_url: `${this.url}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        const listed: { id: string; title?: string }[] = Array.isArray(args.files) ? args.files : [];
        if (listed.length === 0) return fail(res, 'invalid_arguments');
        const files = listed.map((entry) => this.files.get(String(entry.id)));
        // Slack refuses to complete a file whose bytes never arrived, or arrived short.
        if (files.some((f) => !f || !f.bytes || f.bytes.length !== f.length)) return fail(res, 'file_not_found');
        const channel = args.channel_id ? String(args.channel_id) : undefined;
        files.forEach((file, i) => Object.assign(file!, { completed: true, title: listed[i]!.title ?? file!.filename, channel, threadTs: args.thread_ts ? String(args.thread_ts) : undefined }));
        if (channel) {
          const message: EmulatedMessage = {
            channel,
            ts: this.#nextTs(),
            text: String(args.initial_comment ?? ''),
            blocks: [],
            threadTs: args.thread_ts ? String(args.thread_ts) : undefined,
            files: files.map((f) => ({ id: f!.id, name: f!.filename, title: f!.title ?? f!.filename })),
            edits: 0,
          };
          this.messages.push(message);
          this.emit('message', message);
        }
        return ok(res, { files: files.map((f) => ({ id: f!.id, title: f!.title })) });
      }
      case 'auth.test':
        return ok(res, { url: 'https://relm-emulated.slack.com/', team: 'Emulated', user: 'relm', team_id: 'T0RELM', user_id: 'U0RELMBOT', bot_id: 'B0RELM' });
      case 'chat.getPermalink':
        return ok(res, { channel: args.channel, permalink: `https://relm-emulated.slack.com/archives/${args.channel}/p${String(args.message_ts).replace('.', '')}` });
      case 'chat.postMessage': {
        if (!args.channel) return fail(res, 'channel_not_found');
        if (!args.text && !args.blocks) return fail(res, 'no_text');
        const message: EmulatedMessage = {
          channel: String(args.channel),
          ts: this.#nextTs(),
          text: String(args.text ?? ''),
          blocks: Array.isArray(args.blocks) ? args.blocks : [],
          threadTs: args.thread_ts ? String(args.thread_ts) : undefined,
          metadata: args.metadata,
          edits: 0,
        };
        this.messages.push(message);
        this.emit('message', message);
        return ok(res, { channel: message.channel, ts: message.ts, message: { text: message.text, ts: message.ts } });
      }
      case 'chat.update': {
        const message = this.messages.find((m) => m.channel === args.channel && m.ts === args.ts);
        if (!message) return fail(res, 'message_not_found');
        message.text = String(args.text ?? message.text);
        message.blocks = Array.isArray(args.blocks) ? args.blocks : message.blocks;
        message.edits++;
        this.emit('update', message);
        return ok(res, { channel: message.channel, ts: message.ts, text: message.text });
      }
      case 'chat.postEphemeral': {
        const message: EphemeralMessage = { channel: args.channel, user: args.user, text: String(args.text ?? ''), blocks: args.blocks, via: 'chat.postEphemeral' };
        this.ephemerals.push(message);
        this.emit('ephemeral', message);
        return ok(res, { message_ts: this.#nextTs() });
      }
      case 'views.open':
      case 'views.push':
      case 'views.update': {
        if (method !== 'views.update' && !args.trigger_id) return fail(res, 'invalid_trigger_id');
        const view = typeof args.view === 'string' ? JSON.parse(args.view) : args.view;
        const id = `V${++this.#seq}`;
        this.views.push({ triggerId: args.trigger_id, view, id });
        this.emit('view', { triggerId: args.trigger_id, view, id });
        return ok(res, { view: { ...view, id, hash: `h${this.#seq}` } });
      }
      case 'views.publish': {
        const view = typeof args.view === 'string' ? JSON.parse(args.view) : args.view;
        if (!/^[UW][A-Z0-9]+$/.test(String(args.user_id ?? ''))) return fail(res, 'user_not_found');
        // Slack refuses a Home view over 100 blocks, or a section over 3,000 characters.
        if (view?.type !== 'home' || !Array.isArray(view.blocks) || view.blocks.length > 100) return fail(res, 'invalid_arguments');
        if (view.blocks.some((b: any) => typeof b?.text?.text === 'string' && b.text.text.length > 3_000)) return fail(res, 'invalid_blocks');
        const published = { user: String(args.user_id), view };
        this.homes.push(published);
        this.emit('home', published);
        return ok(res, { view: { ...view, id: `V${++this.#seq}`, hash: `h${this.#seq}` } });
      }
      case 'usergroups.users.list': {
        const users = this.userGroups.get(String(args.usergroup));
        return users ? ok(res, { users }) : fail(res, 'no_such_subteam');
      }
      case 'users.info': {
        const user = this.users.get(String(args.user));
        return ok(res, { user: { id: args.user, name: user?.name ?? String(args.user).toLowerCase(), tz: user?.tz ?? 'Europe/London' } });
      }
      case 'users.list': {
        const all = [...this.users.entries()];
        const from = Number(args.cursor || 0);
        const limit = Math.min(Number(args.limit || 200), 1_000);
        const members = all.slice(from, from + limit).map(([id, u]) => ({ id, name: u.name ?? id.toLowerCase(), deleted: this.deactivated.has(id), tz: u.tz ?? 'Europe/London' }));
        return ok(res, { members, response_metadata: { next_cursor: from + limit < all.length ? String(from + limit) : '' } });
      }
      case 'conversations.open': {
        // One DM channel per user, as Slack gives: the same id every time it is opened.
        const user = String(args.users ?? '').split(',')[0] ?? '';
        if (!/^[UW][A-Z0-9]+$/.test(user)) return fail(res, 'user_not_found');
        if (this.deactivated.has(user)) return fail(res, 'user_disabled');
        return ok(res, { channel: { id: `D${user.slice(1)}` } });
      }
      case 'conversations.history':
      case 'conversations.replies': {
        const inThread = method === 'conversations.replies';
        const found = this.messages
          .filter((m) => m.channel === args.channel && (inThread ? m.threadTs === args.ts || m.ts === args.ts : !m.threadTs))
          .map((m) => ({ type: 'message', ts: m.ts, text: m.text, thread_ts: m.threadTs, ...(m.files ? { files: m.files } : {}), ...(args.include_all_metadata && m.metadata ? { metadata: m.metadata } : {}) }))
          .reverse();
        return ok(res, { messages: found, has_more: false });
      }
      default:
        return fail(res, 'unknown_method');
    }
  }
}
