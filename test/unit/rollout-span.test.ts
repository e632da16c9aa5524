import { describe, expect, it } from 'vitest';
import { ASSUMED_DEPLOY_MS, expectedDurationMs, expectedSpan } from '../../src/core/rollout-span.ts';
import { DEFAULT_VERIFY_TIMEOUT_MS } from '../../src/core/rollout.ts';
import type { DeploymentModel } from '../../src/core/settings.ts';

const wave = (name: string, bakeMs: number, verify?: { timeoutMs?: number }) => ({
  name, targets: [name], bakeMs, checklist: [], rollback: [], ...(verify ? { verify: { url: 'http://x', expect: 200, ...verify } } : {}),
});

describe('expected rollout duration', () => {
  it('adds each wave’s deployment, verification timeout and bake', () => {
    const model: DeploymentModel = { name: 'm', deployer: 'manual', waves: [wave('eu', 30 * 60_000, { timeoutMs: 120_000 }), wave('us', 60_000, {})] };
    expect(expectedDurationMs(model)).toBe(2 * ASSUMED_DEPLOY_MS + 120_000 + DEFAULT_VERIFY_TIMEOUT_MS + 30 * 60_000 + 60_000);
  });

  it('takes a github deployer’s timeout when it is shorter than the assumed deployment', () => {
    const model: DeploymentModel = { name: 'g', deployer: 'github', github: { pollMs: 10_000, timeoutMs: 120_000 }, waves: [wave('all', 0)] };
    expect(expectedDurationMs(model)).toBe(120_000);
    const start = new Date(1_000_000);
    expect(expectedSpan(model, start)).toEqual({ start, end: new Date(1_120_000) });
  });
});
