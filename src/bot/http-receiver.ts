import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { HTTPModuleFunctions, HTTPReceiver, isValidSlackRequest, type App, type BufferedIncomingMessage, type Receiver } from '@slack/bolt';
import type { Logger } from 'pino';
import { boltLogger } from './logger.ts';
import { checkSlackPayload } from './payloads.ts';
import type { SlackWork } from './middleware/ack-first.ts';
import { readBody, replyJson } from '../http/respond.ts';
import { startHttpServer, type RelmHttpServer, type Route } from '../http/server.ts';
import type { OutageTracker } from '../outage.ts';

const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackHttpOptions {
  signingSecret: string;
  port: number;
  /** The other routes served on the same port: webhooks, health, metrics. */
  routes: Route[];
  bodyLimit: number;
  log: Logger;
  outages: OutageTracker;
  /** The work after acks, waited for when stopping. */
  work: SlackWork;
  customProperties: () => Record<string, unknown>;
  acceptGraceMs?: number;
}

/**
 * Bolt's HTTPReceiver behind relm's own HTTP server. relm reads the body (413 with the connection
 * closed when it is too large), checks the signature (401), parses it (400) and checks its shape
 * (400) before Bolt sees it; only a signed, well-formed request reaches Bolt's own handling (which
 * verifies and parses again, cheaply). Stopping drains: the server answers every request it took, and
 * then the work those requests started is given until the deadline to finish.
 */
export class SlackHttpReceiver implements Receiver {
  readonly #options: SlackHttpOptions;
  readonly #bolt: HTTPReceiver;
  #server?: RelmHttpServer;

  constructor(options: SlackHttpOptions) {
    this.#options = options;
    this.#bolt = new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      bodyLimit: options.bodyLimit,
      logger: boltLogger(options.log),
      customPropertiesExtractor: options.customProperties,
    });
  }

  init(app: App): void {
    this.#bolt.init(app);
  }

  async start(port?: number): Promise<Server> {
    const slackEvents: Route = { method: 'POST', path: SLACK_EVENTS_PATH, handler: (req, res) => this.#slackEvents(req, res) };
    const { log, outages, acceptGraceMs } = this.#options;
    this.#server = await startHttpServer({ port: port ?? this.#options.port, routes: [slackEvents, ...this.#options.routes], log, outages, acceptGraceMs });
    return this.#server.server;
  }

  /** Drains within `deadlineMs` (see RelmHttpServer.close), then waits what is left of it for the work after acks. */
  async stop(deadlineMs = 5_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    await this.#server?.close(deadlineMs);
    this.#server = undefined;
    if (!(await this.#options.work.drained(Math.max(0, deadline - Date.now())))) {
      this.#options.log.warn({ running: this.#options.work.admitted.running }, 'stopping with Slack requests still being worked on');
    }
  }

  async #slackEvents(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req, res, this.#options.bodyLimit);
    if (!raw) return replyJson(res, 413, { error: 'body too large' });
    const text = raw.toString('utf8');
    const form = req.headers['content-type'] === 'application/x-www-form-urlencoded';
    // Slack's ssl_check is not signed; Bolt answers it and drops anything else in the body.
    const sslCheck = form && parseQuery(text).ssl_check === '1';
    if (!sslCheck) {
      const signature = req.headers['x-slack-signature'];
      const timestamp = Number(req.headers['x-slack-request-timestamp']);
      if (typeof signature !== 'string' || !isValidSlackRequest({ signingSecret: this.#options.signingSecret, body: text, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp } })) {
        return replyJson(res, 401, { error: 'signature does not verify' });
      }
      const buffered = Object.assign(req, { rawBody: raw }) as BufferedIncomingMessage;
      let body: unknown;
      try {
        body = HTTPModuleFunctions.parseHTTPRequestBody(buffered);
      } catch {
        return replyJson(res, 400, { error: 'the body is neither a form nor JSON' });
      }
      const check = checkSlackPayload(body);
      if (!check.ok) {
        this.#options.log.warn({ problem: check.problem }, 'refused a signed Slack request of the wrong shape');
        return replyJson(res, 400, { error: check.problem });
      }
    }
    (req as BufferedIncomingMessage).rawBody = raw;
    this.#bolt.requestListener(req, res);
  }
}
