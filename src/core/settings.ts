import type { DigestSettings } from './digest.ts';
import type { ReleaseType, Risk } from './release.ts';
import type { Policy } from './policy.ts';
import { DomainError } from './errors.ts';
import { fragment } from './text.ts';

export interface Wave {
  name: string;
  targets: string[];
  bakeMs: number;
  checklist: string[];
  rollback: string[];
  verify?: { url: string; expect: number; timeoutMs?: number };
}

export interface DeploymentModel {
  name: string;
  deployer: 'manual' | 'github' | 'webhook';
  waves: Wave[];
  webhook?: { url: string; secretEnv: string };
  /** The github deployer's polling, for when deployment_status webhooks do not arrive. */
  github?: { pollMs: number; timeoutMs: number };
  /** The post-release review is due this long after the rollout finished (`review_after`; 3d when unset). */
  reviewAfterMs?: number;
  /** Early life support after completion (`early_life_support`): the audience is asked to rate the release when it ends. */
  earlyLifeSupportMs?: number;
}

/** How a service's audience is told: reminders before the start, and the local night no DM is sent in. */
export interface NotifySettings {
  /** Reminders this long before the planned start, longest first. */
  beforeMs: number[];
  /** Minutes after local midnight; `fromMinute > toMinute` spans midnight (20:00-08:00). */
  quietHours: { fromMinute: number; toMinute: number };
}

export interface ServiceSettings {
  key: string;
  name: string;
  channel: string;
  audience: string[];
  jiraProject?: string;
  githubRepo?: string;
  policy: string;
  deploymentModel: string;
  /** `semver` (default) or `any`: how versions are validated and ordered. */
  versionScheme: 'semver' | 'any';
  notify: NotifySettings;
  /** Who works on the service (user ids, groups expanded): they may lock it, with the release managers. */
  members: string[];
}

/** Everything relm.yml says, in domain terms. */
export interface Settings {
  timezone: string;
  approversCanSelfApprove: boolean;
  releaseManagers: string[];
  /** Who may tick checklists and report a manual wave done or failed, besides the owner, approvers and release managers. */
  installers: string[];
  groups: Record<string, string[]>;
  services: Record<string, ServiceSettings>;
  policies: Record<string, Policy>;
  deploymentModels: Record<string, DeploymentModel>;
  /** Team name → the services it groups (each a key of `services`). */
  teams: Record<string, string[]>;
  digests: DigestSettings[];
  /** How a version becomes a git tag, e.g. "v{version}". */
  githubTag: string;
  jira: JiraSettings;
}

export interface JiraSettings {
  issueType: string;
  /** relm state → the name of the Jira transition that follows it (ids differ per workflow). */
  transitions: Partial<Record<string, string>>;
  /** Ticket statuses that count as approved / declined where a policy takes Jira as an approval source. */
  approvedStatuses: string[];
  declinedStatuses: string[];
  /** A Jira status that cancels the release, where the policy takes Jira as an approval source. */
  cancelledStatuses: string[];
  /** relm value → Jira field id, set when the ticket is raised and when its plan or schedule changes. */
  fields: Partial<Record<JiraFieldName, string>>;
  /** Risk → the option name of a select field (default: the risk as written). */
  riskValues: Partial<Record<Risk, string>>;
  /** The issue link type that joins the change ticket to the work items its plan mentions. */
  linkType: string;
  /** Issue types that, linked to a change ticket, count as incidents caused by the release. */
  incidentTypes: string[];
  /** The issue type of the Jira issues raised for a review's follow-up actions (`jira.follow_up_issue_type`). */
  followUpIssueType: string;
}

/** The relm values a Jira field can be mapped to (`jira.fields` in relm.yml). */
export const JIRA_FIELD_NAMES = ['planned_start', 'planned_end', 'risk', 'release_link'] as const;

export type JiraFieldName = (typeof JIRA_FIELD_NAMES)[number];

/** A service by the key a person typed; only relm.yml's own keys match (never `__proto__` or `constructor`). */
export function serviceOf(settings: Settings, key: string): ServiceSettings {
  const service = Object.hasOwn(settings.services, key) ? settings.services[key] : undefined;
  if (!service) {
    const known = Object.keys(settings.services).join(', ') || 'none configured';
    throw new DomainError('invalid_input', `Unknown service "${fragment(key)}". Services: ${known}.`, { field: 'service' });
  }
  return service;
}

/** The policy a service's releases are under. */
export function policyOf(settings: Settings, serviceKey: string): Policy {
  const service = serviceOf(settings, serviceKey);
  const policy = Object.hasOwn(settings.policies, service.policy) ? settings.policies[service.policy] : undefined;
  if (!policy) throw new DomainError('config', `Service ${serviceKey} names policy "${service.policy}", which relm.yml does not define.`);
  return policy;
}
