import type { Calendar, ChangeWindow } from './windows.ts';
import type { ReleaseType } from './release.ts';
import { DomainError } from './errors.ts';
import type { ReviewRequirement } from './review.ts';

export interface ApprovalRule {
  required: number;
  /** Slack user ids (U…/W…), names from `groups:`, or Slack user-group ids (S…). */
  from: string[];
  bypassFreeze: boolean;
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
}

/** Looks up Slack user-group members (S… ids); the adapter caches. */
export interface Directory {
  userGroupMembers(groupId: string): Promise<string[]>;
  /** Each person's IANA timezone where Slack says (asked once per person and kept). */
  timezones(userIds: string[]): Promise<Map<string, string>>;
}


export function approvalRuleFor(policy: Policy, type: ReleaseType): ApprovalRule {
  const rule = policy.approvals[type];
  if (!rule) {
    throw new DomainError('config', `Policy "${policy.name}" has no approval rule for ${type} releases; add one under policies.${policy.name}.approvals.${type}.`, { field: 'type' });
  }
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
