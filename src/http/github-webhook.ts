import type { IncomingMessage, ServerResponse } from 'node:http';
import { Webhooks } from '@octokit/webhooks';
import type { CoreContext } from '../core/context.ts';
import { observeChange } from '../core/usecases/configuration.ts';
import { reportGitHubDeployment } from '../core/usecases/github-deployments.ts';
import { MAX_WEBHOOK_BYTES, readLimited, replyJson } from './respond.ts';


const PRODUCTION = /^(prod|production|live)$/i;

/** A wave target that is the last wave of some deployment model counts as production, as do "prod"/"production". */
function isProduction(ctx: CoreContext, environment: string): boolean {
  if (PRODUCTION.test(environment)) return true;
  return Object.values(ctx.settings.deploymentModels).some((m) => m.waves[m.waves.length - 1]?.targets.includes(environment));
}

/**
 * POST /webhooks/github: `deployment_status` and `release` events, verified with X-Hub-Signature-256
 * (@octokit/webhooks). Each X-GitHub-Delivery is processed once.
 */
export function githubWebhookRoute(ctx: CoreContext, secret: string | undefined) {
  const webhooks = secret ? new Webhooks({ secret }) : undefined;
  return {
    path: '/webhooks/github',
    method: 'POST',
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      if (!webhooks) return replyJson(res, 503, { error: 'GitHub webhooks are off: set GITHUB_WEBHOOK_SECRET' });
      const body = await readLimited(req, res, MAX_WEBHOOK_BYTES);
      if (body === undefined) return replyJson(res, 413, { error: 'body too large' });
      const signature = req.headers['x-hub-signature-256'];
      if (typeof signature !== 'string' || !(await webhooks.verify(body, signature).catch(() => false))) return replyJson(res, 401, { error: 'signature does not verify' });
      const delivery = String(req.headers['x-github-delivery'] ?? '');
      const event = String(req.headers['x-github-event'] ?? '');
      if (!delivery) return replyJson(res, 400, { error: 'X-GitHub-Delivery is missing' });
      const key = `github:${delivery}`;
      let payload: any;
      try {
        payload = JSON.parse(body);
      } catch {
        return replyJson(res, 400, { error: 'body is not JSON' });
      }
      const repo = payload?.repository?.full_name;
      const answer = (result: { service?: string; unauthorised: boolean; duplicate?: boolean }) =>
        replyJson(res, 200, result.duplicate ? { duplicate: true } : { recorded: Boolean(result.service), unauthorised: result.unauthorised });
      if (typeof repo !== 'string') return replyJson(res, 202, { ignored: 'no repository' });
      let ours = false;
      if (event === 'deployment_status' && typeof payload.deployment?.id === 'number') {
        // relm's own deployments (the github deployer) report the result of their rollout step.
        const relmKey = typeof payload.deployment.payload?.relm_key === 'string' ? payload.deployment.payload.relm_key : undefined;
        ours = await reportGitHubDeployment(ctx, payload.deployment.id, String(payload.deployment_status?.state ?? ''), payload.deployment_status?.description ?? null, relmKey);
      }
      if (ours && payload.deployment_status?.state !== 'success') return replyJson(res, 200, { step: 'updated' });
      if (event === 'deployment_status' && payload.deployment_status?.state === 'success') {
        const deployment = payload.deployment ?? {};
        const environment = String(deployment.environment ?? payload.deployment_status.environment ?? '');
        const version = String(deployment.payload?.version ?? deployment.ref ?? deployment.sha ?? '');
        return answer(await observeChange(ctx, { kind: 'deployment', repo, environment, version, production: isProduction(ctx, environment), ref: key, url: deployment.url ?? payload.deployment_status.target_url }, key));
      }
      if (event === 'release' && payload.action === 'published') {
        return answer(await observeChange(ctx, { kind: 'release', repo, tag: String(payload.release?.tag_name ?? ''), ref: key, url: payload.release?.html_url }, key));
      }
      return replyJson(res, 202, { ignored: `${event}${payload.action ? `.${payload.action}` : ''}` });
    },
  };
}
