/** Action, view and block ids shared by the renderers and the listeners that receive them. */
export const ACTIONS = {
  approve: 'relm_approve',
  reject: 'relm_reject',
  submit: 'relm_submit',
  edit: 'relm_edit',
  cancel: 'relm_cancel',
  tick: 'relm_tick',
  stepDone: 'relm_step_done',
  stepFailed: 'relm_step_failed',
  start: 'relm_start',
  pause: 'relm_pause',
  resume: 'relm_resume',
  retry: 'relm_retry',
  continue: 'relm_continue',
  rollback: 'relm_rollback',
  abort: 'relm_abort',
  rate: 'relm_rate',
  rateComment: 'relm_rate_comment',
} as const;

/** The bundle card's buttons; each carries the bundle's id. */
export const BUNDLE_ACTIONS = {
  approve: 'relm_bundle_approve',
  start: 'relm_bundle_start',
  retry: 'relm_bundle_retry',
  continue: 'relm_bundle_continue',
  rollback: 'relm_bundle_rollback',
} as const;

export const VIEWS = {
  plan: 'relm_plan',
  reject: 'relm_reject_reason',
  rollback: 'relm_rollback_reason',
  abort: 'relm_abort_reason',
  rateComment: 'relm_rate_comment_form',
  review: 'relm_review',
  bundleRollback: 'relm_bundle_rollback_reason',
} as const;

/** Block ids of the planning modal's inputs; each holds one element with action id "value". */
export const PLAN_FIELDS = {
  bundle: 'bundle',
  service: 'service',
  version: 'version',
  type: 'type',
  title: 'title',
  description: 'description',
  risk: 'risk',
  riskReason: 'risk_reason',
  plannedStart: 'planned_start',
  model: 'model',
  rollbackPlan: 'rollback_plan',
  testEvidence: 'test_evidence',
  training: 'training',
  trainingLinks: 'training_links',
  impact: 'impact',
  contact: 'contact',
  waves: 'waves',
  assets: 'assets',
} as const;

/** Block ids of the review modal's inputs; each holds one element with action id "value". */
export const REVIEW_FIELDS = {
  wentWell: 'went_well',
  wentBadly: 'went_badly',
  lessons: 'lessons',
  actions: 'actions',
  raiseInJira: 'raise_in_jira',
} as const;

export const REJECT_FIELDS = { reason: 'reason' } as const;

/** Block ids of the rating form: the score (1–5) and the optional comment. */
export const RATE_FIELDS = { score: 'score', comment: 'comment' } as const;

export const VALUE = 'value';

/** What an approval button carries: the release and the plan revision the approver saw. */
export function decisionValue(releaseId: number, revision: number): string {
  return `${releaseId}:${revision}`;
}

export function parseDecisionValue(value: string | undefined): { releaseId: number; revision: number | undefined } | undefined {
  const match = /^(\d{1,9})(?::(\d{1,9}))?$/.exec(value ?? '');
  return match ? { releaseId: Number(match[1]), revision: match[2] ? Number(match[2]) : undefined } : undefined;
}
