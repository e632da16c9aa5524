import type { DeploymentModel } from './settings.ts';
import { DEFAULT_VERIFY_TIMEOUT_MS } from './rollout.ts';

/**
 * What relm reckons one wave's deployment takes when the model cannot say: a deployer reports when it
 * is done, so this is a planning figure for calendars and overlap checks, never a deadline.
 */
export const ASSUMED_DEPLOY_MS = 15 * 60_000;

/** How long a rollout of this model is expected to take, from its start to the last wave's bake ending. */
export function expectedDurationMs(model: DeploymentModel): number {
  const deployMs = model.deployer === 'github' && model.github ? Math.min(model.github.timeoutMs, ASSUMED_DEPLOY_MS) : ASSUMED_DEPLOY_MS;
  return model.waves.reduce((sum, wave) => sum + deployMs + (wave.verify ? (wave.verify.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS) : 0) + wave.bakeMs, 0);
}

/** The span a rollout planned at `start` is expected to occupy. */
export function expectedSpan(model: DeploymentModel, start: Date): { start: Date; end: Date } {
  return { start, end: new Date(start.getTime() + expectedDurationMs(model)) };
}
