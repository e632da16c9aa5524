import type { DeploymentModel } from '../settings.ts';
import type { StoredRelease } from '../release.ts';
import type { RolloutStep } from '../rollout.ts';



export interface DeployRequest {
  release: StoredRelease;
  step: RolloutStep;
  model: DeploymentModel;
  /** True when an earlier attempt at this same step may have reached the deployer already. */
  retry: boolean;
}

/** What a deployer knows right after it was asked: a result now, or one to come (a callback, a person). */
export type DeployStarted = { status: 'running'; ref?: Record<string, unknown> } | { status: 'succeeded' | 'failed'; detail?: string; ref?: Record<string, unknown> };

/**
 * Carries out one wave (or one wave's rollback). Every call carries `step.idempotencyKey`, so a call
 * repeated after a crash is recognised as the same one by whatever is on the other side.
 */
export interface Deployer {
  readonly name: string;
  start(request: DeployRequest): Promise<DeployStarted>;
}

/** A deployer's failure that retrying will not fix (a 4xx from a webhook, say): the step fails. */
export class DeployRejectedError extends Error {
  override name = 'DeployRejectedError';
}
