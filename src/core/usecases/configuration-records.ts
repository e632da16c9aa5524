import type { Transaction } from 'kysely';
import type { DB } from '../../store/schema.ts';
import type { CoreContext } from '../context.ts';
import { appendAuditEntries } from '../../store/repositories/audit.ts';
import { firstDelivery } from '../../store/repositories/deliveries.ts';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';
import { currentVersions, isAuthorisedVersion, previousVersion, recordDeployments, recordUnauthorised, type DeploymentRecord } from '../../store/repositories/configuration-records.ts';

import { serviceOf, type Settings } from '../settings.ts';
import type { StoredRelease } from '../release.ts';
import type { RolloutStep } from '../rollout.ts';

/**
 * Keeps the configuration records when relm's own rollout changes what runs where: a deployed wave
 * puts the release's version on its targets, a rolled-back wave puts back what ran before.
 */
export async function recordStepOutcome(trx: Transaction<DB>, release: StoredRelease, step: RolloutStep, now: Date): Promise<void> {
  if (step.kind === 'deploy') {
    await recordDeployments(trx, step.targets.map((target) => ({ service: release.service, target, version: release.version, source: 'relm', releaseId: release.id, deployedBy: step.reportedBy, sourceRef: `${step.idempotencyKey}:${target}` })), now);
    return;
  }
  const records = [];
  for (const target of step.targets) {
    const version = await previousVersion(trx, release.service, target, release.id);
    if (version) records.push({ service: release.service, target, version, source: 'relm rollback', releaseId: release.id, deployedBy: step.reportedBy, sourceRef: `${step.idempotencyKey}:${target}` });
  }
  await recordDeployments(trx, records, now);
}

export async function whereRuns(ctx: CoreContext, service: string): Promise<DeploymentRecord[]> {
  serviceOf(ctx.settings, service);
  return currentVersions(ctx.db, service);
}

/** A deployment or release seen outside relm, as the GitHub webhook reports it. */
export type ObservedChange =
  | { kind: 'deployment'; repo: string; environment: string; version: string; production: boolean; ref: string; url?: string; creator?: string }
  | { kind: 'release'; repo: string; tag: string; ref: string; url?: string };

const PRODUCTION = /^(prod|production|live)$/i;

/** A target named prod, production or live is production, as is any target of a deployment model's last wave. */
export function isProductionTarget(settings: Settings, environment: string): boolean {
  if (PRODUCTION.test(environment)) return true;
  return Object.values(settings.deploymentModels).some((m) => m.waves[m.waves.length - 1]?.targets.includes(environment));
}

/** The version a deployment carries: its payload's `version`, else its ref (a tag), else its commit. */
export function deploymentVersion(deployment: { payloadVersion?: unknown; ref?: unknown; sha?: unknown }): string {
  const candidate = [deployment.payloadVersion, deployment.ref, deployment.sha].find((v) => (typeof v === 'string' && v.length > 0) || typeof v === 'number');
  return candidate === undefined ? '' : String(candidate);
}

function versionFromTag(template: string, tag: string): string {
  const [prefix = '', suffix = ''] = template.split('{version}');
  return tag.startsWith(prefix) && tag.endsWith(suffix) ? tag.slice(prefix.length, tag.length - suffix.length) : tag;
}

/**
 * Records a deployment or release that GitHub reports and flags it in the service's channel when no
 * approved relm release covers that version (ITIL's detection of unauthorised versions). Each GitHub
 * delivery is recorded and flagged at most once.
 */
export async function observeChange(ctx: CoreContext, change: ObservedChange, deliveryKey?: string): Promise<{ service?: string; unauthorised: boolean; duplicate?: boolean }> {
  const service = Object.values(ctx.settings.services).find((s) => s.githubRepo?.toLowerCase() === change.repo.toLowerCase());
  if (!service) return { unauthorised: false };
  const now = ctx.clock();
  const version = change.kind === 'release' ? versionFromTag(ctx.settings.githubTag, change.tag) : versionFromTag(ctx.settings.githubTag, change.version);
  let duplicate = false;
  const outbox = await ctx.db.transaction().execute(async (trx) => {
    // The delivery is marked seen in the same transaction as its records, so a failure lets GitHub's redelivery in.
    if (deliveryKey && !(await firstDelivery(trx, deliveryKey, now))) {
      duplicate = true;
      return null;
    }
    if (change.kind === 'deployment') {
      await recordDeployments(trx, [{ service: service.key, target: change.environment, version, source: 'github', releaseId: null, deployedBy: change.creator ?? null, sourceRef: change.ref }], now);
    }
    const checked = change.kind === 'release' || change.production;
    if (!checked || (await isAuthorisedVersion(trx, service.key, version))) return null;
    const detail = change.kind === 'release' ? `GitHub release ${change.tag} was published` : `a deployment of ${version} reached ${change.environment}`;
    if (!(await recordUnauthorised(trx, { service: service.key, version, kind: change.kind, detail, sourceRef: change.ref }, now))) return null;
    await appendAuditEntries(trx, [{ releaseId: null, actor: 'github', action: 'unauthorised_version', after: { service: service.key, version, kind: change.kind, detail, url: change.url ?? null }, at: now }]);
    return enqueueOutbox(trx, [{ kind: 'alert', releaseId: null, dedupeKey: `alert:${change.ref}`, payload: { channel: service.channel, service: service.key, version, kind: change.kind, detail, url: change.url ?? null } }], now);
  });
  if (outbox) await ctx.effects.dispatch(outbox);
  return duplicate ? { service: service.key, unauthorised: false, duplicate } : { service: service.key, unauthorised: outbox !== null };
}

