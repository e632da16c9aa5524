import { z } from 'zod';
import { CodeHostRejectedError } from '../ports/code-host.ts';
import { answerProtectionRequest } from '../usecases/deployment-protection.ts';
import { PermanentEffectError } from './errors.ts';
import { effect } from './effect.ts';

/**
 * relm's answer to a GitHub custom deployment protection rule (POST …/actions/runs/{run_id}/deployment_protection_rule),
 * one per X-GitHub-Delivery (the row's key).
 */
export const deploymentReviewEffect = effect({
  kinds: ['deployment_review'],
  payload: z.object({
    delivery: z.string().min(1),
    repo: z.string().regex(/^[^/]+\/[^/]+$/),
    installationId: z.number().int().positive(),
    runId: z.number().int().positive(),
    environment: z.string().min(1),
    ref: z.string().nullable(),
    sha: z.string().nullable(),
  }),
  traits: {},
  async perform(ctx, ports, _kind, payload) {
    if (!ports.deploymentGate) throw new PermanentEffectError('the GitHub App is not configured (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)');
    try {
      const decision = await answerProtectionRequest(ctx, ports, payload);
      return { state: decision.state, releaseId: decision.releaseId };
    } catch (error) {
      if (error instanceof CodeHostRejectedError) throw new PermanentEffectError(error.message);
      throw error;
    }
  },
});
