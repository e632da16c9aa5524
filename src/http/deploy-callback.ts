import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CoreContext } from '../core/context.ts';
import { isDomainError } from '../core/errors.ts';
import { modelOf } from '../core/rollout.ts';
import { completeStep } from '../core/usecases/rollout/steps.ts';
import { findRelease } from '../store/repositories/releases.ts';
import { findStepByKey } from '../store/repositories/steps.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyBody } from '../deployers/webhook/signature.ts';
import { MAX_WEBHOOK_BYTES, readLimited, replyJson } from './respond.ts';


/**
 * POST /webhooks/deploy: a webhook deployer's result for a step, signed with the deployment model's
 * secret like relm's own request was. Unsigned or mis-signed: 401, and nothing changes.
 */
export function deployCallbackRoute(ctx: CoreContext, secret: (envName: string) => string | undefined) {
  return {
    path: '/webhooks/deploy',
    method: 'POST',
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      const body = await readLimited(req, res, MAX_WEBHOOK_BYTES);
      if (body === undefined) return replyJson(res, 413, { error: 'body too large' });
      let parsed: { idempotency_key?: unknown; status?: unknown; detail?: unknown };
      try {
        parsed = JSON.parse(body);
      } catch {
        return replyJson(res, 400, { error: 'body is not JSON' });
      }
      const step = typeof parsed.idempotency_key === 'string' ? await findStepByKey(ctx.db, parsed.idempotency_key) : undefined;
      const release = step ? await findRelease(ctx.db, step.releaseId) : undefined;
      const model = release ? modelOf(ctx.settings, release) : undefined;
      const key = model?.webhook ? secret(model.webhook.secretEnv) : undefined;
      const headers = { signature: req.headers[SIGNATURE_HEADER] as string | undefined, timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined };
      // The same answer for an unknown step as for a bad signature, so callers cannot probe for keys.
      if (!step || !key || !verifyBody(key, headers, body)) return replyJson(res, 401, { error: 'signature does not verify' });
      if (parsed.status !== 'succeeded' && parsed.status !== 'failed') return replyJson(res, 400, { error: 'status must be "succeeded" or "failed"' });
      try {
        const done = await completeStep(ctx, step.id, parsed.status, 'webhook', typeof parsed.detail === 'string' ? parsed.detail.slice(0, 500) : null);
        return replyJson(res, 200, { step: step.idempotencyKey, state: done.state });
      } catch (error) {
        if (isDomainError(error)) return replyJson(res, 409, { error: error.message });
        throw error;
      }
    },
  };
}
