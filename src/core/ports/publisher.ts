import type { AuditEntry } from '../audit.ts';
import type { NoticeEvent } from '../audience.ts';
import type { StoredRelease } from '../release.ts';
import type { RolloutStep } from '../rollout.ts';
import type { ReleaseDetail } from '../usecases/queries.ts';
import type { HomeData } from '../usecases/home.ts';
import type { DigestContent } from '../usecases/digest.ts';
import type { BundleCard } from '../usecases/bundles.ts';

/** A message relm posted: where it is, so it can be updated or replied to. */
export interface PostedRef {
  channel: string;
  ts: string;
}

/** What a notice tells: the step, or a reminder this long before the start. */
export interface PersonalNotice {
  event: NoticeEvent;
  beforeMs?: number;
  /** Ask how it went (1-5 buttons): with the completion, or when early life support ends. */
  askRating?: boolean;
  /** Early life support runs until then: the contact is shown, the rating asked after. */
  supportUntil?: Date;
}

/** A warning for a service's channel that is not about one release (an unauthorised version). */
export interface Alert {
  channel: string;
  service: string;
  version: string;
  kind: string;
  detail: string;
  url: string | null;
}

/**
 * Where release news goes (Slack in relm). Every post takes an idempotency key; when `retry` is true an
 * earlier attempt may have posted already, and the publisher must look for it before posting again.
 */
export interface Publisher {
  upsertCard(detail: ReleaseDetail, card: PostedRef | null, key: string, retry: boolean): Promise<PostedRef>;
  postThreadNote(release: StoredRelease, card: PostedRef, entries: AuditEntry[], key: string, retry: boolean): Promise<PostedRef>;
  postApprovalRequest(detail: ReleaseDetail, card: PostedRef, key: string, retry: boolean): Promise<PostedRef>;
  closeApprovalRequest(detail: ReleaseDetail, request: PostedRef, revision: number, outcome: string): Promise<void>;
  announce(detail: ReleaseDetail, card: PostedRef, event: string, key: string, retry: boolean): Promise<PostedRef>;
  /** A link that opens the card (the change ticket's release link); optional for publishers without one. */
  permalink?(card: PostedRef): Promise<string>;
  /** The manual deployer's checklist for a step, in the card's thread, with a button per item. */
  postChecklist(release: StoredRelease, card: PostedRef, step: RolloutStep, key: string, retry: boolean): Promise<PostedRef>;
  postAlert(alert: Alert, key: string, retry: boolean): Promise<PostedRef>;
  /** The release's one message in an audience channel, first posted; later updated in place. */
  postAudienceNotice(detail: ReleaseDetail, channel: string, key: string, retry: boolean): Promise<PostedRef>;
  updateAudienceNotice(detail: ReleaseDetail, notice: PostedRef): Promise<void>;
  /** A reply under an approval request naming the approvers who have not decided yet. */
  postApprovalReminder(detail: ReleaseDetail, request: PostedRef, undecided: string[], key: string, retry: boolean): Promise<PostedRef>;
  /** A direct message to a release manager about a request that has waited too long. */
  postEscalation(detail: ReleaseDetail, request: PostedRef, manager: string, key: string, retry: boolean): Promise<PostedRef>;
  /** A reply in the card's thread: the release's approvals lapse at `until`, before it starts. */
  postExpiryWarning(detail: ReleaseDetail, card: PostedRef, until: Date, key: string, retry: boolean): Promise<PostedRef>;
  /** A reply under the audience message for one step that matters to users, or a reminder before the start. */
  postAudienceNote(detail: ReleaseDetail, notice: PostedRef, event: PersonalNotice, key: string, retry: boolean): Promise<PostedRef>;
  /** A direct message to one person of the audience. */
  postPersonalNotice(detail: ReleaseDetail, user: string, notice: PersonalNotice, key: string, retry: boolean): Promise<PostedRef>;
  /** Publishes one person's App Home view (replacing what it showed). */
  publishHome(home: HomeData): Promise<void>;
  /** A direct message to the owner or a release manager: the required post-release review is not written yet (reminder `round`). */
  postReviewReminder(detail: ReleaseDetail, user: string, round: number, key: string, retry: boolean): Promise<PostedRef>;
  /** A KPI digest in its channel: the message with the figures, then the trend chart as an uploaded PNG (none for a period without releases). */
  postDigest(content: DigestContent, key: string, retry: boolean): Promise<PostedRef & { file?: string }>;
  /** A bundle's one card in `channel`: posted when `card` is null (looked for first on a retry), else updated. */
  upsertBundleCard(view: BundleCard, channel: string, card: PostedRef | null, key: string, retry: boolean): Promise<PostedRef>;
  updateChecklist(release: StoredRelease, checklist: PostedRef, step: RolloutStep, ticks: { item: number; actor: string; at: Date }[]): Promise<void>;
}
