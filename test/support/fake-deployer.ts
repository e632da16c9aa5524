import { createServer, type Server } from 'node:http';
import { closeNow, guarded, listenLocally, readBody } from './local-server.ts';
import { verifyBody, signBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/deployers/webhook/signature.ts';

export interface DeployCall {
  idempotencyKey: string;
  body: any;
  signatureValid: boolean;
}

type Answer = { status: number; body?: unknown; /** How long to hold the answer back (a slow deploy system). */ delayMs?: number };

/**
 * A deploy system on 127.0.0.1 for the webhook deployer: checks relm's signature, records each call,
 * answers as scripted per wave, and serves a health URL whose answers can be scripted too.
 */
export class FakeDeployer {
  readonly calls: DeployCall[] = [];
  /** Answers per wave name, used in order; when they run out, {"status": "succeeded"}. */
  readonly answers = new Map<string, Answer[]>();
  readonly health: number[] = [];
  healthHits = 0;
  url = '';
  #server?: Server;

  readonly secret: string;

  constructor(secret: string) {
    this.secret = secret;
  }

  async start(): Promise<this> {
    this.#server = createServer(guarded(async (req, res) => {
      const raw = await readBody(req);
      if (req.url === '/health') {
        this.healthHits++;
        res.writeHead(this.health.shift() ?? 200).end('ok');
        return;
      }
      const body = JSON.parse(raw);
      const signatureValid = verifyBody(this.secret, { signature: req.headers[SIGNATURE_HEADER] as string, timestamp: req.headers[TIMESTAMP_HEADER] as string }, raw);
      this.calls.push({ idempotencyKey: String(req.headers['idempotency-key']), body, signatureValid });
      const answer = this.answers.get(body.wave)?.shift() ?? { status: 200, body: { status: 'succeeded' } };
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    }));
    this.url = await listenLocally(this.#server);
    return this;
  }

  async stop(): Promise<void> {
    await closeNow(this.#server);
  }

  /** A callback as the deploy system would send it to relm. */
  signedCallback(body: Record<string, unknown>, secret = this.secret): { body: string; headers: Record<string, string> } {
    const text = JSON.stringify(body);
    const timestamp = Math.floor(Date.now() / 1000);
    return { body: text, headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signBody(secret, timestamp, text) } };
  }
}
