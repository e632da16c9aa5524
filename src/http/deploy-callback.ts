import type { CoreContext } from '../core/context.ts';
import { isDomainError } from '../core/errors.ts';
import { modelOf } from '../core/rollout.ts';
import { completeStep } from '../core/usecases/rollout/steps.ts';
import { findRelease } from '../store/repositories/releases.ts';
import { findStepByKey } from '../store/repositories/steps.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyBody } from '../deployers/webhook/signature.ts';
import { replyJson } from './respond.ts';
import { webhookRoute } from './webhook-route.ts';


/**
 * POST /webhooks/deploy: a webhook deployer's result for a step, signed with the deployment model's
 * secret like relm's own request was. Unsigned or mis-signed: 401, and nothing changes.
 */
export function deployCallbackRoute(ctx: CoreContext, secret: (envName: string) => string | undefined) {
  return webhookRoute({
    path: '/webhooks/deploy',
    db: ctx.db,
    // The key is the step's deployment model's secret, so the step is looked up before the signature is checked.
    async verify(body, headers, json) {
      const key = (json() as { idempotency_key?: unknown } | undefined)?.idempotency_key;
      const step = typeof key === 'string' ? await findStepByKey(ctx.db, key) : undefined;
      const release = step ? await findRelease(ctx.db, step.releaseId) : undefined;
      const model = release ? modelOf(ctx.settings, release) : undefined;
      const signingKey = model?.webhook ? secret(model.webhook.secretEnv) : undefined;
      // The same answer for an unknown step as for a bad signature, so callers cannot probe for keys.
      return Boolean(signingKey && verifyBody(signingKey, { signature: headers[SIGNATURE_HEADER] as string | undefined, timestamp: headers[TIMESTAMP_HEADER] as string | undefined }, body));
    },
    async handle({ payload }, res) {
      const parsed = payload as { idempotency_key: string; status?: unknown; detail?: unknown };
      const step = (await findStepByKey(ctx.db, parsed.idempotency_key))!;
      if (parsed.status !== 'succeeded' && parsed.status !== 'failed') return replyJson(res, 400, { error: 'status must be "succeeded" or "failed"' });
      try {
        const done = await completeStep(ctx, step.id, parsed.status, 'webhook', typeof parsed.detail === 'string' ? parsed.detail.slice(0, 500) : null);
        return replyJson(res, 200, { step: step.idempotencyKey, state: done.state });
      } catch (error) {
        if (isDomainError(error)) return replyJson(res, 409, { error: error.message });
        throw error;
      }
    },
  });
}
