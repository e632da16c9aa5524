import { Webhooks } from '@octokit/webhooks';
import type { CoreContext } from '../core/context.ts';
import { deploymentVersion, isProductionTarget, observeChange } from '../core/usecases/configuration-records.ts';
import { reportGitHubDeployment } from '../core/usecases/github-deployments.ts';
import { requestProtectionReview, runIdOf } from '../core/usecases/deployment-protection.ts';
import { replyJson } from './respond.ts';
import { webhookRoute } from './webhook-route.ts';

/**
 * POST /webhooks/github: `deployment_status`, `release` and `deployment_protection_rule` events, verified with X-Hub-Signature-256
 * (@octokit/webhooks). Each X-GitHub-Delivery is processed once.
 */
export function githubWebhookRoute(ctx: CoreContext, secret: string | undefined, options: { protectionRule?: boolean } = {}) {
  const webhooks = secret ? new Webhooks({ secret }) : undefined;
  return webhookRoute({
    path: '/webhooks/github',
    db: ctx.db,
    off: webhooks ? undefined : 'GitHub webhooks are off: set GITHUB_WEBHOOK_SECRET',
    verify: async (body, headers) => typeof headers['x-hub-signature-256'] === 'string' && (await webhooks!.verify(body, headers['x-hub-signature-256'])),
    deliveryKey: (headers) => (headers['x-github-delivery'] ? `github:${String(headers['x-github-delivery'])}` : undefined),
    async handle({ payload, headers, delivery: key }, res) {
      if (!key) return replyJson(res, 400, { error: 'X-GitHub-Delivery is missing' });
      const event = String(headers['x-github-event'] ?? '');
      const repo = payload?.repository?.full_name;
      const answer = (result: { service?: string; unauthorised: boolean; duplicate?: boolean }) =>
        replyJson(res, 200, result.duplicate ? { duplicate: true } : { recorded: Boolean(result.service), unauthorised: result.unauthorised });
      if (typeof repo !== 'string') return replyJson(res, 202, { ignored: 'no repository' });
      if (event === 'deployment_protection_rule') {
        if (payload.action !== 'requested') return replyJson(res, 202, { ignored: `${event}.${payload.action}` });
        // Said where GitHub shows it (the App's delivery log), rather than queued for an answer relm cannot send.
        if (!options.protectionRule) return replyJson(res, 503, { error: 'relm does not answer deployment protection rules: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY' });
        const runId = typeof payload.deployment_callback_url === 'string' ? runIdOf(payload.deployment_callback_url) : undefined;
        const installationId = payload.installation?.id;
        const environment = payload.environment;
        if (!runId || typeof installationId !== 'number' || typeof environment !== 'string' || !environment) {
          return replyJson(res, 400, { error: 'a deployment_protection_rule request needs deployment_callback_url (…/actions/runs/{run_id}/deployment_protection_rule), installation.id and environment' });
        }
        const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
        const request = { delivery: String(headers['x-github-delivery']), repo, installationId, runId, environment, ref: text(payload.ref ?? payload.deployment?.ref), sha: text(payload.sha ?? payload.deployment?.sha) };
        const taken = await requestProtectionReview(ctx, request, key);
        return replyJson(res, taken.duplicate ? 200 : 202, taken.duplicate ? { duplicate: true } : { queued: 'deployment_review' });
      }
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
        const version = deploymentVersion({ payloadVersion: deployment.payload?.version, ref: deployment.ref, sha: deployment.sha });
        const creator = typeof deployment.creator?.login === 'string' ? deployment.creator.login : undefined;
        return answer(await observeChange(ctx, { kind: 'deployment', repo, environment, version, production: isProductionTarget(ctx.settings, environment), ref: key, url: deployment.url ?? payload.deployment_status.target_url, creator }, key));
      }
      if (event === 'release' && payload.action === 'published') {
        return answer(await observeChange(ctx, { kind: 'release', repo, tag: String(payload.release?.tag_name ?? ''), ref: key, url: payload.release?.html_url }, key));
      }
      return replyJson(res, 202, { ignored: `${event}${payload.action ? `.${payload.action}` : ''}` });
    },
  });
}
