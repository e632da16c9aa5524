import type { KnownBlock } from '@slack/types';
import type { PersonalNotice } from '../../core/ports/publisher.ts';
import type { ReleaseDetail } from '../../core/usecases/queries.ts';
import { clip, escapeText, slackTime } from './format.ts';
import { contactRef } from './card.ts';
import { ACTIONS } from './ids.ts';
import { releaseKey } from '../../core/release.ts';

/** What the audience is told the change's status is, in their words rather than the release manager's. */
const STATUS: Record<string, string> = {
  scheduled: ':calendar: Scheduled',
  in_progress: ':rocket: Rolling out now',
  paused: ':double_vertical_bar: Paused',
  completed: ':white_check_mark: Done',
  failed: ':x: Stopped',
  rolled_back: ':rewind: Rolled back: the earlier version is back',
  cancelled: ':wastebasket: Cancelled: nothing changes',
  submitted: ':hourglass_flowing_sand: On hold while its new plan is approved',
};

/** The release's one message in an audience channel: what changes, when, what users will notice, whom to ask. */
export function renderAudienceNotice(detail: ReleaseDetail): { text: string; blocks: KnownBlock[] } {
  const r = detail.release;
  const what = `*${escapeText(r.service)} ${escapeText(r.version)}: ${clip(r.title, 150)}*`;
  const status = STATUS[r.state] ?? escapeText(r.state);
  const lines = [
    r.description ? clip(r.description, 1200) : '',
    r.plannedStart ? `*When:* ${slackTime(r.plannedStart)}${r.rescheduleCount ? ` (rescheduled ${r.rescheduleCount}×)` : ''}` : '',
    r.impact ? `*What you will notice:* ${clip(r.impact, 600)}` : '',
    r.trainingNeeded ? `*Training:* ${r.trainingLinks.length ? r.trainingLinks.map((l) => clip(l, 200)).join(', ') : 'needed; material will follow'}` : '',
    r.contact ? `*Questions:* ${contactRef(r.contact)}` : '',
  ].filter(Boolean);
  return {
    text: `${r.service} ${r.version}: ${r.title} (${status.replace(/^:[a-z_]+: /, '')})`.slice(0, 300).replace(/[<>&]/g, ''),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${what}\n${status}` } },
      ...(lines.length ? [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 2900) } } as KnownBlock] : []),
    ],
  };
}

/** The 1–5 buttons that ask the audience how a release went, and "Add a comment…" (the rating form). */
export function ratingButtons(releaseId: number): KnownBlock {
  const faces = ['1 :disappointed:', '2', '3', '4', '5 :star-struck:'];
  return {
    type: 'actions',
    block_id: `rate_${releaseId}`,
    elements: [
      ...faces.map((label, i) => ({ type: 'button' as const, action_id: `${ACTIONS.rate}_${i + 1}`, text: { type: 'plain_text' as const, text: label, emoji: true }, value: `${releaseId}:${i + 1}` })),
      { type: 'button', action_id: ACTIONS.rateComment, text: { type: 'plain_text', text: 'Add a comment…' }, value: String(releaseId) },
    ],
  };
}

/** A reply under the audience message: the step, and after completion the question how it went. */
export function renderAudienceReply(detail: ReleaseDetail, notice: PersonalNotice): { text: string; blocks?: KnownBlock[] } {
  const text = renderAudienceNote(detail, notice);
  if (!notice.askRating) return { text };
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `How did ${releaseKey(detail.release.id)} go for you? One rating each; press again to change it.` }] },
      ratingButtons(detail.release.id),
    ],
  };
}

/** "24 hours", "1 hour", "30 minutes", "3 days": how far ahead a reminder comes, in words. */
function leadTime(ms: number): string {
  const [n, unit] = ms >= 3 * 86_400_000 ? [Math.round(ms / 86_400_000), 'day'] : ms >= 3_600_000 ? [Math.round(ms / 3_600_000), 'hour'] : [Math.max(1, Math.round(ms / 60_000)), 'minute'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** One reply under the audience message for a step that matters to users. */
export function renderAudienceNote(detail: ReleaseDetail, notice: PersonalNotice): string {
  const r = detail.release;
  const when = r.plannedStart ? slackTime(r.plannedStart) : 'a time still to be set';
  switch (notice.event) {
    case 'reminder':
      return `:alarm_clock: Reminder: this change starts ${when}${notice.beforeMs ? ` (in ${leadTime(notice.beforeMs)})` : ''}.`;
    case 'scheduled':
      return `:calendar: This change is scheduled for ${when}.`;
    case 'rescheduled':
      return `:calendar: Rescheduled: it now starts ${when}.`;
    case 'on_hold':
      return ':hourglass_flowing_sand: On hold: its plan changed and is being approved again.';
    case 'started':
      return ':rocket: The rollout has started.';
    case 'paused':
      return ':double_vertical_bar: The rollout is paused.';
    case 'resumed':
      return ':arrow_forward: The rollout goes on.';
    case 'completed':
      return `:white_check_mark: Done: ${escapeText(r.service)} ${escapeText(r.version)} is live everywhere.${r.contact ? ` Questions${notice.supportUntil ? ` until ${slackTime(notice.supportUntil)} (early life support)` : ''}: ${contactRef(r.contact)}.` : ''}`;
    case 'rate':
      return `:speech_balloon: ${escapeText(r.service)} ${escapeText(r.version)} has been live a while now.`;
    case 'failed':
      return ':x: The rollout was stopped.';
    case 'rolled_back':
      return ':rewind: Rolled back: the earlier version runs again.';
    case 'cancelled':
      return ':wastebasket: Cancelled: this change will not happen.';
  }
}

/**
 * A direct message to one person of the audience: the whole notice (they have no channel message to
 * look at), the step, the rating question once it is done, and how to stop these.
 */
export function renderPersonalNotice(detail: ReleaseDetail, notice: PersonalNotice): { text: string; blocks: KnownBlock[] } {
  const r = detail.release;
  const step = renderAudienceNote(detail, notice);
  const summary = renderAudienceNotice(detail);
  const rate = notice.askRating === true;
  return {
    text: `${step.replace(/^:[a-z_]+: /, '')} ${summary.text}`.slice(0, 3000),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: step.slice(0, 2900) } },
      ...summary.blocks,
      ...(rate
        ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: `How did ${releaseKey(r.id)} go for you? One rating each; press again to change it.` }] } as KnownBlock, ratingButtons(r.id)]
        : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `You get this because you are in the audience of ${escapeText(r.service)}. \`/release mute ${escapeText(r.service)}\` stops these messages; channel posts stay.` }] },
    ],
  };
}
