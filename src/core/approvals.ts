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
