export const RELEASE_TYPES = ['major', 'minor', 'patch', 'emergency'] as const;
export type ReleaseType = (typeof RELEASE_TYPES)[number];

export const RISKS = ['low', 'medium', 'high'] as const;
export type Risk = (typeof RISKS)[number];

export const RELEASE_STATES = [
  'draft',
  'submitted',
  'approved',
  'rejected',
  'scheduled',
  'in_progress',
  'paused',
  'completed',
  'failed',
  'rolled_back',
  'cancelled',
] as const;
export type ReleaseState = (typeof RELEASE_STATES)[number];

/** A release as the domain sees it: the plan, where it stands, and who asked for it. */
export interface Release {
  id: number;
  service: string;
  version: string;
  type: ReleaseType;
  title: string;
  description: string;
  risk: Risk;
  plannedStart: Date | null;
  deploymentModel: string;
  rollbackPlan: string;
  testEvidence: string;
  trainingNeeded: boolean;
  /** Links to the training material, when training is needed. */
  trainingLinks: string[];
  /** What users will notice: the expected impact or downtime, in plain words. */
  impact: string;
  /** Whom to ask during early life support: a Slack channel (C…) or user (U…) id. */
  contact: string | null;
  requester: string;
  state: ReleaseState;
  /** Bumped by every change to the plan; approvals are given to one revision. */
  revision: number;
  rescheduleCount: number;
  createdAt: Date;
  updatedAt: Date;
  submittedAt: Date | null;
  approvedAt: Date | null;
  /** The release's own waves, when it overrides its deployment model's. */
  waves: { name: string; targets: string[]; bakeMs: number }[] | null;
  rolloutDirection: 'forward' | 'rollback';
  /** Why the rollout is waiting or stopped, for the card (a window, a freeze, a failed wave). */
  rolloutNote: string | null;
  bypassedFreeze: boolean;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The change ticket in Jira, once raised. */
  jiraKey: string | null;
  /** Release assets the plan names, checked on GitHub (presence and sha256) before the first wave. */
  assets: { name: string; sha256: string }[] | null;
  assetsVerifiedAt: Date | null;
  assetsProblem: string | null;
  /** relm's assessment of the plan's risk under its policy's `risk:` rules (null without rules). */
  assessedRisk: Risk | null;
  /** What the assessment counted, each factor with its points. */
  riskFactors: RiskFactor[];
  /** Why the requester states a lower risk than the assessment; shown to approvers. */
  riskReason: string | null;
  /** The release manager who started it past a conflicting rollout. */
  forcedBy: string | null;
}

/** One thing the risk assessment counted: what, how many points, and in words. */
export interface RiskFactor {
  factor: string;
  points: number;
  detail: string;
}

const RISK_ORDER: Record<Risk, number> = { low: 0, medium: 1, high: 2 };

/** The higher of two risks. */
export function higherRisk(a: Risk, b: Risk | null | undefined): Risk {
  return b && RISK_ORDER[b] > RISK_ORDER[a] ? b : a;
}

export function riskBelow(a: Risk, b: Risk): boolean {
  return RISK_ORDER[a] < RISK_ORDER[b];
}

/**
 * The risk approvals are judged by: the higher of the stated and the assessed. A requester may state
 * a lower risk with a reason, which approvers read; it does not lower what the policy asks of them.
 */
export function effectiveRisk(release: Pick<Release, 'risk' | 'assessedRisk'>): Risk {
  return higherRisk(release.risk, release.assessedRisk);
}

/** A release as stored: with where its card is posted in Slack. */
export interface StoredRelease extends Release {
  cardChannel: string | null;
  cardTs: string | null;
}

/** The plan fields a team writes; everything else is relm's. */
export type ReleasePlan = Pick<
  Release,
  | 'service'
  | 'version'
  | 'type'
  | 'title'
  | 'description'
  | 'risk'
  | 'plannedStart'
  | 'deploymentModel'
  | 'rollbackPlan'
  | 'testEvidence'
  | 'trainingNeeded'
  | 'trainingLinks'
  | 'impact'
  | 'contact'
  | 'waves'
  | 'assets'
>;

export function releaseKey(id: number): string {
  return `REL-${id}`;
}

/** Parses "REL-12" or "rel-12" (or a bare "12") into the numeric id. */
export function parseReleaseKey(text: string): number | undefined {
  const match = /^(?:rel-)?(\d{1,9})$/i.exec(text.trim());
  return match ? Number(match[1]) : undefined;
}
