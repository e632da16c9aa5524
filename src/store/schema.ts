import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { ReleaseAsset } from '../core/release-assets.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** jsonb goes in as JSON text and comes back parsed. */
type Json<T = unknown> = ColumnType<T, string, string>;

export interface ReleasesTable {
  id: Generated<number>;
  service: string;
  version: string;
  type: string;
  title: string;
  description: string;
  risk: string;
  planned_start: Timestamp | null;
  deployment_model: string;
  rollback_plan: string;
  test_evidence: string;
  training_needed: boolean;
  requester: string;
  state: string;
  revision: Generated<number>;
  reschedule_count: Generated<number>;
  card_channel: string | null;
  card_ts: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  submitted_at: Timestamp | null;
  approved_at: Timestamp | null;
  waves: Json<WaveRecord[]> | null;
  rollout_direction: Generated<'forward' | 'rollback'>;
  rollout_note: string | null;
  bypassed_freeze: Generated<boolean>;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  jira_key: string | null;
  assets: Json<ReleaseAsset[]> | null;
  training_links: Json<string[]> | null;
  impact: ColumnType<string, string | undefined, string>;
  contact: string | null;
  assets_verified_at: Timestamp | null;
  assets_problem: string | null;
  /** The change ticket's Jira issue id (stable across moves; what issuelink webhooks name). */
  jira_issue_id: string | null;
  /** relm's assessment of the plan's risk (the policy's risk rules), and the factors that made it. */
  assessed_risk: string | null;
  risk_factors: Json<RiskFactorRecord[]> | null;
  /** Why the requester states a lower risk than relm assessed; shown to approvers. */
  risk_reason: string | null;
  /** The release manager who started it past a conflicting rollout (`start --force`). */
  forced_by: string | null;
  /** KPI facts kept by the releases_kpi_facts trigger (see the kpi-facts migration); never written by relm's code. */
  revised_after_submit: Generated<number>;
  revised_after_approval: Generated<number>;
  rejections: Generated<number>;
  /** When its rollout first failed (a failed wave, or the rollback asked for), set when it finishes. */
  failed_at: Generated<Date | null>;
  /** Person-minutes of its manual steps (step start to last checklist tick, times the people who ticked), set when it finishes. */
  manual_minutes: Generated<number | null>;
  /** Kept by triggers on incidents, ratings, release_commits and reviews (see the kpi-release-counts migration); never written by relm's code. */
  incident_count: Generated<number>;
  rating_total: Generated<number>;
  rating_count: Generated<number>;
  first_commit_at: Generated<Date | null>;
  reviewed: Generated<boolean>;
  /** When the review reminder sweep looks at this release next; set by a trigger when its rollout ends, cleared once no reminder is due. */
  review_chase_at: Generated<Date | null>;
}

export interface RiskFactorRecord {
  factor: string;
  points: number;
  detail: string;
}

export interface DeployLocksTable {
  id: Generated<number>;
  service: string;
  targets: Json<string[]>;
  reason: string;
  locked_by: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  released_at: Timestamp | null;
  released_by: string | null;
}

export interface IncidentsTable {
  id: Generated<number>;
  release_id: number;
  /** A Jira issue key or free text. */
  ref: string;
  source: 'slack' | 'jira';
  recorded_by: string;
  recorded_at: Timestamp;
  resolved_at: Timestamp | null;
  /** The time of the newest Jira event taken for it (Jira delivers out of order and retries late). */
  jira_event_at: Timestamp | null;
}

/** The commits a release ships (GitHub's compare of the previous tag), for the lead time for changes. */
export interface ReleaseCommitsTable {
  release_id: number;
  base: string;
  head: string;
  commits: number;
  first_commit_at: Timestamp | null;
  recorded_at: Timestamp;
}

/** A wave as stored with a release that overrides its model's waves. */
export interface WaveRecord {
  name: string;
  targets: string[];
  bakeMs: number;
}

export type { StepState } from '../core/rollout.ts';
import type { StepState } from '../core/rollout.ts';

export interface RolloutStepsTable {
  id: Generated<number>;
  release_id: number;
  kind: 'deploy' | 'rollback';
  wave_index: number;
  wave_name: string;
  try: Generated<number>;
  targets: Json<string[]>;
  deployer: string;
  checklist: Json<string[]>;
  state: StepState;
  idempotency_key: string;
  due_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  bake_until: Timestamp | null;
  verify_deadline: Timestamp | null;
  error: string | null;
  reported_by: string | null;
  created_at: Timestamp;
}

export interface ChecklistTicksTable {
  step_id: number;
  item: number;
  actor: string;
  at: Timestamp;
}

export interface DecisionsTable {
  id: Generated<number>;
  release_id: number;
  revision: number;
  approver: string;
  decision: 'approve' | 'reject';
  comment: string | null;
  decided_at: Timestamp;
}

export interface AuditLogTable {
  seq: number;
  release_id: number | null;
  actor: string;
  action: string;
  before: Json | null;
  after: Json | null;
  at: Timestamp;
  prev_hash: string;
  hash: string;
}

export interface OutboxTable {
  id: Generated<number>;
  release_id: number | null;
  kind: string;
  dedupe_key: string;
  payload: Json<Record<string, unknown>>;
  state: Generated<'pending' | 'sending' | 'done' | 'failed' | 'withdrawn'>;
  attempts: Generated<number>;
  last_error: string | null;
  result: Json<Record<string, unknown>> | null;
  created_at: Timestamp;
  done_at: Timestamp | null;
  claimed_until: Timestamp | null;
  /** Not to be performed before this moment (a reminder, a notice held through a user's night). */
  not_before: Timestamp | null;
}

export interface NoticeMutesTable {
  user_id: string;
  service: string;
  muted_at: Timestamp;
}

/** What Slack said of a user, kept so a fan-out asks once per person. */
export interface SlackUsersTable {
  user_id: string;
  tz: string | null;
  tz_checked_at: Timestamp | null;
  dm_channel: string | null;
}

export interface InboundDeliveriesTable {
  key: string;
  received_at: Timestamp;
}

export interface DB {
  releases: ReleasesTable;
  decisions: DecisionsTable;
  audit_log: AuditLogTable;
  outbox: OutboxTable;
  inbound_deliveries: InboundDeliveriesTable;
  rollout_steps: RolloutStepsTable;
  checklist_ticks: ChecklistTicksTable;
  deployment_records: DeploymentRecordsTable;
  unauthorised_versions: UnauthorisedVersionsTable;
  github_deployments: GitHubDeploymentsTable;
  incidents: IncidentsTable;
  ratings: RatingsTable;
  home_views: HomeViewsTable;
  notice_mutes: NoticeMutesTable;
  slack_users: SlackUsersTable;
  reviews: ReviewsTable;
  installation: InstallationTable;
  deploy_locks: DeployLocksTable;
  bundles: BundlesTable;
  bundle_members: BundleMembersTable;
  bundle_approvals: BundleApprovalsTable;
  release_commits: ReleaseCommitsTable;
}

/** The one row naming this database (see the installation migration). */
export interface InstallationTable {
  singleton: Generated<boolean>;
  id: string;
  created_at: Timestamp;
}

export interface GitHubDeploymentsTable {
  step_id: number;
  target: string;
  deployment_id: ColumnType<string, number | string, number | string>;
  state: string;
  updated_at: Timestamp;
}

export interface DeploymentRecordsTable {
  id: Generated<number>;
  service: string;
  target: string;
  version: string;
  source: string;
  release_id: number | null;
  source_ref: string;
  recorded_at: Timestamp;
  deployed_by: string | null;
}

export interface UnauthorisedVersionsTable {
  id: Generated<number>;
  service: string;
  version: string;
  kind: string;
  detail: string;
  source_ref: string;
  detected_at: Timestamp;
}

export type ReleaseRow = Selectable<ReleasesTable>;
export type NewReleaseRow = Insertable<ReleasesTable>;
export type ReleaseUpdate = Updateable<ReleasesTable>;
export type DecisionRow = Selectable<DecisionsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type StepRow = Selectable<RolloutStepsTable>;

export interface RatingsTable {
  release_id: number;
  rater: string;
  score: number;
  rated_at: Timestamp;
  comment: string | null;
  commented_at: Timestamp | null;
}

/** Who has opened relm's App Home, and when their Home view was last published. */
export interface HomeViewsTable {
  user_id: string;
  opened_at: Timestamp;
  published_at: Timestamp | null;
}

export interface ReviewsTable {
  release_id: number;
  author: string;
  editor: string;
  went_well: string;
  went_badly: string;
  lessons: string;
  actions: Json<string[]>;
  raise_in_jira: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
  edits: Generated<number>;
  /** Generated from the text columns (never written). */
  search: ColumnType<string, never, never>;
}

export interface BundlesTable {
  id: Generated<number>;
  name: string;
  created_by: string;
  created_at: Timestamp;
  planned_start: Timestamp | null;
  state: Generated<string>;
  revision: Generated<number>;
  channel: string | null;
  card_channel: string | null;
  card_ts: string | null;
  rollout_note: string | null;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  jira_key: string | null;
}

export interface BundleMembersTable {
  release_id: number;
  bundle_id: number;
  position: number;
  added_by: string;
  added_at: Timestamp;
  passed_by: string | null;
  passed_at: Timestamp | null;
}

export interface BundleApprovalsTable {
  bundle_id: number;
  revision: number;
  approver: string;
  decided_at: Timestamp;
}
