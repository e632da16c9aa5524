import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../store/database.ts';
import { alreadyDelivered } from '../store/repositories/deliveries.ts';
import { MAX_WEBHOOK_BYTES, readLimited, replyJson } from './respond.ts';

/** A verified webhook delivery, parsed: what a route's `handle` gets. */
export interface WebhookDelivery {
  body: string;
  payload: any;
  headers: IncomingHttpHeaders;
  /** The delivery's key for exactly-once handling, when the sender gives one. */
  delivery: string | undefined;
}

export interface WebhookSpec {
  path: string;
  db: Database;
  /** Why the route is switched off (its secret is not set); the route then answers 503. */
  off?: string;
  /** True when the body is signed by the sender; `json` parses the body for a check that needs it. */
  verify(body: string, headers: IncomingHttpHeaders, json: () => unknown): boolean | Promise<boolean>;
  /** The sender's id of this delivery; a delivery handled before is answered as a duplicate. */
  deliveryKey?(headers: IncomingHttpHeaders): string | undefined;
  handle(delivery: WebhookDelivery, res: ServerResponse): Promise<void>;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * One webhook route's preamble, the same for every sender: switched off without its secret (503), a
 * bounded body (413), a signature that verifies (401, and nothing changes), JSON (400), a delivery not
 * handled before; then the route's own `handle`, which hands the facts to a use case.
 */
export function webhookRoute(spec: WebhookSpec) {
  return {
    path: spec.path,
    method: 'POST',
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      if (spec.off) return replyJson(res, 503, { error: spec.off });
      const body = await readLimited(req, res, MAX_WEBHOOK_BYTES);
      if (body === undefined) return replyJson(res, 413, { error: 'body too large' });
      let parsed: unknown;
      const json = () => (parsed ??= parseJson(body));
      if (!(await Promise.resolve(spec.verify(body, req.headers, json)).catch(() => false))) return replyJson(res, 401, { error: 'signature does not verify' });
      const payload = json();
      if (payload === undefined) return replyJson(res, 400, { error: 'body is not JSON' });
      const delivery = spec.deliveryKey?.(req.headers);
      // Marked as taken by the use case, in the same transaction as its work, so a delivery that failed half-way is taken again.
      if (delivery && (await alreadyDelivered(spec.db, delivery))) return replyJson(res, 200, { duplicate: true });
      return spec.handle({ body, payload, headers: req.headers, delivery }, res);
    },
  };
}
