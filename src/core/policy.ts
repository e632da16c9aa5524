import type { Calendar, ChangeWindow } from './windows.ts';
import type { ReleaseType, Risk } from './release.ts';
import type { RiskRules } from './risk.ts';
import { DomainError } from './errors.ts';
import type { ReviewRequirement } from './review.ts';

export interface ApprovalRule {
  required: number;
  /** Slack user ids (U…/W…), names from `groups:`, or Slack user-group ids (S…). */
  from: string[];
  bypassFreeze: boolean;
  /** A release of this type may pass a deploy lock (meant for emergencies); the pass is audited. */
  passesLocks: boolean;
}

export type ApprovalSource = 'slack' | 'jira' | 'both';

export interface Policy {
  name: string;
  approvals: Partial<Record<ReleaseType, ApprovalRule>>;
  calendar: Calendar;
  approvalExpiresAfterMs: number | null;
  approvalSource: ApprovalSource;
  /** A release that needs training cannot be submitted without links to its training material. */
  requireTrainingMaterial: boolean;
  /** Undecided approvers are reminded this long after the request, then at twice and four times it. */
  remindAfterMs: number | null;
  /** The release managers are told by DM when a request is still undecided this long after it was made. */
  escalateAfterMs: number | null;
  /** The hours the chasing counts; empty: every hour. */
  workingHours: ChangeWindow[];
  /** Which finished releases must be reviewed (`require_review`): by outcome, emergencies, or `all`; unset, the default (failed, rolled back, emergency). */
  requireReview?: readonly ReviewRequirement[];
  /** The `risk:` rules that assess a plan's risk; none means the requester's word stands. */
  risk: RiskRules | null;
  /** `wait`: a start waits while a conflicting rollout is under way; `warn`: conflicts are only shown. */
  conflicts: 'wait' | 'warn';
  /** `approvals.high_risk`: at high risk, this many approvals from these people instead. */
  highRisk: { required: number; from: string[] } | null;
}

/** Looks up Slack user-group members (S… ids); the adapter caches. */
export interface Directory {
  userGroupMembers(groupId: string): Promise<string[]>;
  /** Each person's IANA timezone where Slack says (asked once per person and kept). */
  timezones(userIds: string[]): Promise<Map<string, string>>;
}


/**
 * The approval rule a release must meet: its type's, and at high risk (the higher of the stated and
 * the assessed risk) `approvals.high_risk` where the policy has one: at least its number of approvals,
 * from its approvers.
 */
export function approvalRuleFor(policy: Policy, type: ReleaseType, risk?: Risk): ApprovalRule {
  const rule = policy.approvals[type];
  if (!rule) {
    throw new DomainError('config', `Policy "${policy.name}" has no approval rule for ${type} releases; add one under policies.${policy.name}.approvals.${type}.`, { field: 'type' });
  }
  if (risk === 'high' && policy.highRisk) return { ...rule, required: Math.max(rule.required, policy.highRisk.required), from: policy.highRisk.from };
  return rule;
}

/** Expands a rule's `from` list into the Slack user ids who may approve. */
export async function eligibleApprovers(rule: ApprovalRule, groups: Record<string, string[]>, directory: Directory): Promise<Set<string>> {
  const users = new Set<string>();
  for (const entry of rule.from) {
    // A group name is looked up as the file's own key only (never `__proto__` or `constructor`).
    if (Object.hasOwn(groups, entry)) groups[entry]!.forEach((u) => users.add(u));
    else if (/^S[A-Z0-9]+$/.test(entry)) (await directory.userGroupMembers(entry)).forEach((u) => users.add(u));
    else users.add(entry);
  }
  return users;
}
