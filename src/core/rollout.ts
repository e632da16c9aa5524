import { DomainError } from './errors.ts';
import { fragment } from './text.ts';
import { own } from './lookup.ts';
import type { DeploymentModel, Settings, Wave } from './settings.ts';
import type { Release } from './release.ts';
import { DURATION_PATTERN, parseDuration } from '../config/duration.ts';

/** How long a wave's verification URL is asked before the wave fails, when the model does not say. */
export const DEFAULT_VERIFY_TIMEOUT_MS = 5 * 60_000;

export interface WaveOverride {
  name: string;
  targets: string[];
  bakeMs: number;
}

export function modelOf(settings: Settings, release: Pick<Release, 'deploymentModel'>): DeploymentModel {
  const model = own(settings.deploymentModels, release.deploymentModel);
  if (!model) throw new DomainError('config', `Deployment model "${fragment(release.deploymentModel)}" is no longer in relm.yml.`);
  return model;
}

/**
 * The waves a release rolls out in: its own override when it has one (checklists, verification and
 * rollback steps still come from the model's wave of the same name), else its model's.
 */
export function wavesOf(settings: Settings, release: Pick<Release, 'deploymentModel' | 'waves'>): Wave[] {
  const model = modelOf(settings, release);
  if (!release.waves?.length) return model.waves;
  return release.waves.map((w) => {
    const base = model.waves.find((m) => m.name === w.name);
    return { name: w.name, targets: w.targets, bakeMs: w.bakeMs, checklist: base?.checklist ?? [], rollback: base?.rollback ?? [], verify: base?.verify };
  });
}

/** Parses "canary=eu-1@10m; rest=eu-2,eu-3,us-1" (bake optional) into wave overrides. */
export function parseWaveOverride(text: string): WaveOverride[] {
  const waves = text
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const match = /^([a-z0-9][a-z0-9_-]*)\s*=\s*([^@]+?)\s*(?:@\s*(\S+))?$/i.exec(part);
      if (!match) throw new DomainError('invalid_input', `"${fragment(part)}" is not a wave: write name=target,target@bake, e.g. canary=eu-1@10m.`, { field: 'waves' });
      const targets = match[2]!.split(',').map((t) => t.trim()).filter(Boolean);
      const bake = match[3];
      if (bake && !DURATION_PATTERN.test(bake)) throw new DomainError('invalid_input', `"${fragment(bake)}" is not a bake time like 30s, 15m or 1h.`, { field: 'waves' });
      return { name: match[1]!.toLowerCase(), targets, bakeMs: bake ? parseDuration(bake) : 0 };
    });
  if (waves.length === 0) throw new DomainError('invalid_input', 'Give at least one wave, e.g. canary=eu-1@10m; rest=eu-2,us-1.', { field: 'waves' });
  return waves;
}

/** An override may regroup and reorder the model's targets, never add one the model does not know. */
export function validateWaveOverride(model: DeploymentModel, waves: WaveOverride[]): void {
  const known = new Set(model.waves.flatMap((w) => w.targets));
  const names = new Set<string>();
  for (const wave of waves) {
    if (names.has(wave.name)) throw new DomainError('invalid_input', `Wave "${wave.name}" appears twice.`, { field: 'waves' });
    names.add(wave.name);
    for (const target of wave.targets) {
      if (!known.has(target)) throw new DomainError('invalid_input', `Unknown target "${fragment(target)}" for model ${model.name}. Targets: ${[...known].join(', ')}.`, { field: 'waves' });
    }
  }
}

export function formatWaveOverride(waves: WaveOverride[]): string {
  return waves.map((w) => `${w.name}=${w.targets.join(',')}${w.bakeMs ? `@${Math.round(w.bakeMs / 1000)}s` : ''}`).join('; ');
}

export type StepState = 'pending' | 'running' | 'verifying' | 'baking' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** One wave of a rollout (or of its rollback), as one try: what runs where, and where it stands. */
export interface RolloutStep {
  id: number;
  releaseId: number;
  kind: 'deploy' | 'rollback';
  waveIndex: number;
  waveName: string;
  try: number;
  targets: string[];
  deployer: string;
  checklist: string[];
  state: StepState;
  idempotencyKey: string;
  dueAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  bakeUntil: Date | null;
  verifyDeadline: Date | null;
  error: string | null;
  reportedBy: string | null;
}
