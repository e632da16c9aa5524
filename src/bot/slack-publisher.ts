import type { KnownBlock } from '@slack/types';
import type { AuditEntry } from '../core/audit.ts';
import { renderAlert } from './blocks/alert.ts';
import type { ReleaseDetail } from '../core/usecases/queries.ts';
import type { Alert, PersonalNotice, PostedRef, Publisher } from '../core/ports/publisher.ts';
import type { SlackWebApi } from '../integrations/slack/web-api.ts';
import { renderApprovalReminder, renderApprovalRequest, renderClosedApprovalRequest, renderEscalation, renderExpiryWarning } from './blocks/approval-request.ts';
import { renderCard } from './blocks/card.ts';
import { renderChecklist } from './blocks/checklist.ts';
import { renderAudienceNotice, renderAudienceReply, renderPersonalNotice } from './blocks/audience.ts';
import type { HomeData } from '../core/usecases/home.ts';
import { renderHome } from './blocks/home.ts';

import { renderAnnouncement, renderThreadNote } from './blocks/notes.ts';
import { renderReviewReminder } from './blocks/review.ts';
import { digestChartTitle, renderDigest } from './blocks/digest.ts';
import { trendChartPng } from './charts/release-trend.ts';
import type { DigestContent } from '../core/usecases/digest.ts';
import type { RolloutStep } from '../core/rollout.ts';
import type { StoredRelease } from '../core/release.ts';

import { renderBundleCard } from './blocks/bundle-card.ts';
import type { BundleCard } from '../core/usecases/bundles.ts';

type Message = { text: string; blocks?: KnownBlock[]; threadTs?: string; broadcast?: boolean };

/**
 * Publishes release news to Slack. Posts carry their idempotency key as message metadata, so on a
 * retry after a crash the publisher finds the earlier post instead of posting twice.
 */
export class SlackPublisher implements Publisher {
  readonly #slack: SlackWebApi;

  constructor(slack: SlackWebApi) {
    this.#slack = slack;
  }

  async #postOnce(channel: string, key: string, retry: boolean, message: Message): Promise<PostedRef> {
    return (await this.#findOrPost(channel, key, retry, message)).ref;
  }

  async #findOrPost(channel: string, key: string, retry: boolean, message: Message): Promise<{ ref: PostedRef; earlier: boolean }> {
    if (retry) {
      const earlier = await this.#slack.findPosted(channel, key, message.threadTs);
      if (earlier) return { ref: earlier, earlier: true };
    }
    return { ref: await this.#slack.post({ channel, idempotencyKey: key, ...message }), earlier: false };
  }

  async permalink(ref: PostedRef): Promise<string> {
    return this.#slack.permalink(ref);
  }

  async upsertCard(detail: ReleaseDetail, card: PostedRef | null, key: string, retry: boolean): Promise<PostedRef> {
    const rendered = renderCard(detail);
    if (card) {
      await this.#slack.update(card, rendered);
      return card;
    }
    const channel = detail.release.cardChannel;
    if (!channel) throw new Error(`release ${detail.release.id} has no release channel`);
    const { ref, earlier } = await this.#findOrPost(channel, key, retry, rendered);
    // A card found from an earlier attempt may show an older state.
    if (earlier) await this.#slack.update(ref, rendered);
    return ref;
  }

  async upsertBundleCard(view: BundleCard, channel: string, card: PostedRef | null, key: string, retry: boolean): Promise<PostedRef> {
    const rendered = renderBundleCard(view);
    if (card) {
      await this.#slack.update(card, rendered);
      return card;
    }
    const { ref, earlier } = await this.#findOrPost(channel, key, retry, rendered);
    if (earlier) await this.#slack.update(ref, rendered);
    return ref;
  }

  async postThreadNote(_release: StoredRelease, card: PostedRef, entries: AuditEntry[], key: string, retry: boolean): Promise<PostedRef> {
    return this.#postOnce(card.channel, key, retry, { text: entries.map(renderThreadNote).join('\n'), threadTs: card.ts });
  }

  async postApprovalRequest(detail: ReleaseDetail, card: PostedRef, key: string, retry: boolean): Promise<PostedRef> {
    return this.#postOnce(card.channel, key, retry, renderApprovalRequest(detail));
  }

  async closeApprovalRequest(detail: ReleaseDetail, request: PostedRef, revision: number, outcome: string): Promise<void> {
    await this.#slack.update(request, renderClosedApprovalRequest(detail, revision, outcome));
  }

  async postChecklist(release: StoredRelease, card: PostedRef, step: RolloutStep, key: string, retry: boolean): Promise<PostedRef> {
    return this.#postOnce(card.channel, key, retry, { ...renderChecklist(release, step, []), threadTs: card.ts });
  }

  async updateChecklist(release: StoredRelease, checklist: PostedRef, step: RolloutStep, ticks: { item: number; actor: string; at: Date }[]): Promise<void> {
    await this.#slack.update(checklist, renderChecklist(release, step, ticks));
  }

  async postAlert(alert: Alert, key: string, retry: boolean): Promise<PostedRef> {
    return this.#postOnce(alert.channel, key, retry, renderAlert(alert));
  }

  /**
   * The digest's message, then its chart in the channel below it. Each step is looked for on a retry
   * (the message by its metadata key, the file by its name, which carries the key), so a crash between
   * the two finishes the digest without doubling either.
   */
  async postDigest(content: DigestContent, key: string, retry: boolean): Promise<PostedRef & { file?: string }> {
    const channel = content.digest.channel;
    const ref = await this.#postOnce(channel, key, retry, renderDigest(content));
    if (content.trend.length === 0) return ref;
    const filename = `${key.replace(/^digest:/, '').replace(/[^A-Za-z0-9]+/g, '-')}.png`;
    const earlier = retry ? await this.#slack.findSharedFile(channel, filename) : undefined;
    if (earlier) return { ...ref, file: earlier };
    const { title, altText } = digestChartTitle(content);
    const { fileId } = await this.#slack.uploadFile({ channel, filename, title, altText, bytes: trendChartPng(content.trend, title) });
    return { ...ref, file: fileId };
  }

  async postApprovalReminder(detail: ReleaseDetail, request: PostedRef, undecided: string[], key: string, retry: boolean): Promise<PostedRef> {
    return this.#postOnce(request.channel, key, retry, { text: renderApprovalReminder(detail, undecided), threadTs: request.ts });
  }

  async postEscalation(detail: ReleaseDetail, request: PostedRef, manager: string, key: string, retry: boolean): Promise<PostedRef> {
    const channel = await this.#slack.directMessageChannel(manager);
    const link = await this.#slack.permalink(request).catch(() => undefined);
    return this.#postOnce(channel, key, retry, { text: renderEscalation(detail, link) });
  }

  async postExpiryWarning(detail: ReleaseDetail, card: PostedRef, until: Date, key: string, retry: boolean): Promise<PostedRef> {
    return this.#postOnce(card.channel, key, retry, { text: renderExpiryWarning(detail, until), threadTs: card.ts });
  }

  async postReviewReminder(detail: ReleaseDetail, user: string, round: number, key: string, retry: boolean): Promise<PostedRef> {
    const channel = await this.#slack.directMessageChannel(user);
    const card = detail.release.cardChannel && detail.release.cardTs ? await this.#slack.permalink({ channel: detail.release.cardChannel, ts: detail.release.cardTs }).catch(() => undefined) : undefined;
    return this.#postOnce(channel, key, retry, { text: renderReviewReminder(detail, round, card) });
  }

  async postAudienceNotice(detail: ReleaseDetail, channel: string, key: string, retry: boolean): Promise<PostedRef> {
    const rendered = renderAudienceNotice(detail);
    const { ref, earlier } = await this.#findOrPost(channel, key, retry, rendered);
    if (earlier) await this.#slack.update(ref, rendered);
    return ref;
  }

  async updateAudienceNotice(detail: ReleaseDetail, notice: PostedRef): Promise<void> {
    await this.#slack.update(notice, renderAudienceNotice(detail));
  }

  async postAudienceNote(detail: ReleaseDetail, notice: PostedRef, event: PersonalNotice, key: string, retry: boolean): Promise<PostedRef> {
    return this.#postOnce(notice.channel, key, retry, { ...renderAudienceReply(detail, event), threadTs: notice.ts });
  }

  async publishHome(home: HomeData): Promise<void> {
    await this.#slack.publishHome(home.user, renderHome(home));
  }

  async postPersonalNotice(detail: ReleaseDetail, user: string, notice: PersonalNotice, key: string, retry: boolean): Promise<PostedRef> {
    const channel = await this.#slack.directMessageChannel(user);
    return this.#postOnce(channel, key, retry, renderPersonalNotice(detail, notice));
  }

  async announce(detail: ReleaseDetail, card: PostedRef, event: string, key: string, retry: boolean): Promise<PostedRef> {
    return this.#postOnce(card.channel, key, retry, { text: renderAnnouncement(detail, event), threadTs: card.ts, broadcast: true });
  }
}
