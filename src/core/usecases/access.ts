import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { eligibleApprovers } from '../policy.ts';
import { releaseKey, RELEASE_TYPES, type Release, type ReleaseType } from '../release.ts';
import { policyOf, serviceOf, type Settings } from '../settings.ts';
import { whoMark } from '../text.ts';

export function isReleaseManager(settings: Settings, user: string): boolean {
  return settings.releaseManagers.includes(user);
}

/** The requester and release managers may change, submit or cancel a plan. */
export function assertOwnerOrManager(settings: Settings, release: Release, user: string, what: string): void {
  if (release.requester === user || isReleaseManager(settings, user)) return;
  throw new DomainError('not_authorised', `Only ${whoMark(release.requester)} (who planned ${releaseKey(release.id)}) or a release manager can ${what}.`);
}

/** The release types a user may approve on a service, by its policy (user groups resolved), and whether at high risk too. */
export async function approvableTypes(ctx: CoreContext, serviceKey: string, user: string): Promise<{ types: ReleaseType[]; highRisk: boolean }> {
  const policy = policyOf(ctx.settings, serviceKey);
  const types: ReleaseType[] = [];
  for (const type of RELEASE_TYPES) {
    const rule = policy.approvals[type];
    if (rule && (await eligibleApprovers(rule, ctx.settings.groups, ctx.directory)).has(user)) types.push(type);
  }
  const highRisk = policy.highRisk ? (await eligibleApprovers({ ...policy.highRisk, bypassFreeze: false, passesLocks: false }, ctx.settings.groups, ctx.directory)).has(user) : types.length > 0;
  return { types, highRisk };
}

/** A service's members: its `members:` list and the approvers its policy names. */
export async function isServiceMember(ctx: CoreContext, serviceKey: string, user: string): Promise<boolean> {
  const service = serviceOf(ctx.settings, serviceKey);
  if (service.members.includes(user)) return true;
  const { types, highRisk } = await approvableTypes(ctx, serviceKey, user);
  return types.length > 0 || (highRisk && ctx.settings.policies[service.policy]?.highRisk !== null);
}

/** Release managers and the service's members may lock and unlock it. */
export async function assertMayLock(ctx: CoreContext, serviceKey: string, user: string): Promise<void> {
  if (isReleaseManager(ctx.settings, user) || (await isServiceMember(ctx, serviceKey, user))) return;
  throw new DomainError('not_authorised', `Only a release manager or a member of ${serviceKey} (its \`members:\` and approvers in relm.yml) can lock or unlock it.`);
}

/** What one person may do on one service. */
export interface ServiceRights {
  service: string;
  /** Anyone may plan a release; shown so the answer is complete. */
  plan: boolean;
  approve: ReleaseType[];
  approveHighRisk: boolean;
  /** Tick checklists and report waves done or failed on anyone's release. */
  install: boolean;
  /** Edit, submit, cancel, control and force-start anyone's release. */
  manage: boolean;
  lock: boolean;
}

/** `/release whoami`: what a person may do on each service, from the policies, groups and release managers. */
export async function whoami(ctx: CoreContext, user: string): Promise<{ user: string; releaseManager: boolean; installer: boolean; services: ServiceRights[] }> {
  const manager = isReleaseManager(ctx.settings, user);
  const installer = ctx.settings.installers.includes(user);
  const services: ServiceRights[] = [];
  for (const service of Object.values(ctx.settings.services)) {
    const { types, highRisk } = await approvableTypes(ctx, service.key, user);
    const policy = policyOf(ctx.settings, service.key);
    const member = service.members.includes(user) || types.length > 0;
    services.push({ service: service.key, plan: true, approve: types, approveHighRisk: policy.highRisk ? highRisk : types.length > 0, install: installer || manager, manage: manager, lock: manager || member || (policy.highRisk !== null && highRisk) });
  }
  return { user, releaseManager: manager, installer, services };
}
