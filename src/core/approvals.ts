/** One approver's decision on one revision of a plan. */
export interface Decision {
  approver: string;
  decision: 'approve' | 'reject';
  revision: number;
  decidedAt: Date;
  comment: string | null;
}

export interface ApprovalStatus {
  valid: Decision[];
  expired: Decision[];
  required: number;
  quorum: boolean;
  /** When the earliest counted approval lapses; null when approvals never expire. */
  validUntil: Date | null;
}

/**
 * Counts the approvals that still stand for `revision`: same revision, not expired, one per approver.
 * Earlier revisions never count, which is how a plan change voids approvals.
 */
export function approvalStatus(
  decisions: readonly Decision[],
  revision: number,
  required: number,
  now: Date,
  expiresAfterMs: number | null,
): ApprovalStatus {
  const valid: Decision[] = [];
  const expired: Decision[] = [];
  const seen = new Set<string>();
  for (const d of decisions) {
    if (d.decision !== 'approve' || d.revision !== revision || seen.has(d.approver)) continue;
    seen.add(d.approver);
    const lapsed = expiresAfterMs !== null && now.getTime() - d.decidedAt.getTime() > expiresAfterMs;
    (lapsed ? expired : valid).push(d);
  }
  const earliest = valid.reduce<Date | null>((min, d) => (min === null || d.decidedAt < min ? d.decidedAt : min), null);
  const validUntil = expiresAfterMs !== null && earliest ? new Date(earliest.getTime() + expiresAfterMs) : null;
  return { valid, expired, required, quorum: valid.length >= required, validUntil };
}

/** The approver recorded for an approval or rejection that came from the change ticket in Jira. */
export const JIRA_APPROVER = 'jira';

/**
 * The standing of a revision under its policy's approval source: Slack approvals (`slack`), the change
 * ticket's approval in Jira (`jira`), or both.
 */
export function policyApproval(
  source: 'slack' | 'jira' | 'both',
  decisions: readonly Decision[],
  revision: number,
  required: number,
  now: Date,
  expiresAfterMs: number | null,
): ApprovalStatus & { jira: boolean } {
  const status = approvalStatus(decisions.filter((d) => d.approver !== JIRA_APPROVER), revision, required, now, expiresAfterMs);
  const jira = decisions.some((d) => d.approver === JIRA_APPROVER && d.decision === 'approve' && d.revision === revision);
  const quorum = source === 'slack' ? status.quorum : source === 'jira' ? jira : status.quorum && jira;
  return { ...status, quorum, jira };
}
