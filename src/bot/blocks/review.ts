import type { KnownBlock, View } from '@slack/types';
import type { ReviewStatus } from '../../core/review.ts';
import type { ReviewFacts, Deviation, LessonMatch, TimelinePhase } from '../../core/usecases/review.ts';
import { REVIEW_LIMITS } from '../../core/usecases/review.ts';
import type { ReleaseDetail } from '../../core/usecases/queries.ts';
import { releaseKey } from '../../core/release.ts';
import { clip, escapeText, mention, slackTime, stateLabel } from './format.ts';
import { REVIEW_FIELDS, VALUE, VIEWS } from './ids.ts';
import type { ViewContext } from './modals.ts';

/** Slack's limits that these renderers keep to: section text, modal title, blocks per modal. */
const SECTION_MAX = 3_000;
const TITLE_MAX = 24;

/** A span of time as people say it: 2d 3h, 45m, 12s. */
export function elapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor((s % 86_400) / 3_600), 'h'],
    [Math.floor((s % 3_600) / 60), 'm'],
  ];
  const shown = parts.filter(([n]) => n > 0).slice(0, 2);
  return shown.length ? shown.map(([n, u]) => `${n}${u}`).join(' ') : `${s}s`;
}

const PHASES: Record<TimelinePhase['phase'], string> = {
  planning: 'Planning (planned → submitted)',
  approval: 'Approval (submitted → approved)',
  waiting: 'Waiting to start (approved → started)',
  rollout: 'Rollout (started → finished)',
};

const DEVIATION_WORDS: Record<Deviation['kind'], string> = {
  rescheduled: ':calendar: Rescheduled',
  revised: ':pencil2: Plan revised after submission',
  rejected: ':no_entry: Rejected',
  paused: ':double_vertical_bar: Paused',
  wave_failed: ':x: Wave failed',
  retried: ':repeat: Wave retried',
  skipped: ':fast_forward: Failed wave skipped',
  rolled_back: ':rewind: Rolled back',
  aborted: ':octagonal_sign: Aborted',
  bypassed_freeze: ':warning: Went ahead in a freeze or outside the windows',
  reapproval: ':arrows_counterclockwise: Approval needed again',
};

/** A line of the review's state for `show` and the card; empty while the rollout has not finished. */
export function reviewStatusText(status: ReviewStatus, releaseId: number): string {
  const command = `\`/release review ${releaseKey(releaseId)}\``;
  switch (status.status) {
    case 'done':
      return `:memo: Reviewed by ${mention(status.by)} ${slackTime(status.at)}`;
    case 'due':
      return `:memo: Review due by ${slackTime(status.dueAt)} (${command})`;
    case 'overdue':
      return `:warning: Review overdue since ${slackTime(status.dueAt)} (${command})`;
    case 'optional':
      return `Review optional (${command})`;
    default:
      return '';
  }
}

/** The facts of a finished release as mrkdwn sections, each within Slack's 3,000 characters. */
export function renderReviewFacts(facts: ReviewFacts): string[] {
  const r = facts.release;
  const summary = [
    `*${releaseKey(r.id)}* ${escapeText(r.service)} ${escapeText(r.version)}${r.title ? `: ${clip(r.title, 150)}` : ''} · ${stateLabel(r.state)} · ${r.type} · risk ${r.risk} · planned by ${mention(r.requester)}`,
    facts.jiraKey ? `Change ticket: ${escapeText(facts.jiraKey)}` : '',
  ].filter(Boolean).join('\n');
  const timeline = ['*Timeline*', ...facts.timeline.map((p) => `• ${PHASES[p.phase]}: *${elapsed(p.ms)}* (${slackTime(p.from)} → ${slackTime(p.to)})`)];
  if (facts.timeline.length === 0) timeline.push('_no milestones recorded_');
  const waves = ['*Waves*', ...facts.waves.map((w) => `• ${w.kind === 'rollback' ? 'rollback of ' : ''}${escapeText(w.wave)}, try ${w.try}: ${w.result}${w.ms !== null ? ` in ${elapsed(w.ms)}` : ''}${w.error ? ` (${clip(w.error, 150)})` : ''}`)];
  if (facts.waves.length === 0) waves.push('_no wave ran_');
  const deviations = ['*Deviations from the plan*', ...facts.deviations.map((d) => `• ${DEVIATION_WORDS[d.kind]} ${slackTime(d.at)} by ${mention(d.actor)}${d.detail ? `: ${clip(d.detail, 200)}` : ''}`)];
  if (facts.deviations.length === 0) deviations.push('_none: it went as planned_');
  const rating = facts.rating.responses ? `${(facts.rating.mean ?? 0).toFixed(1)} of 5 from ${facts.rating.responses}` : 'no ratings';
  const incidents = [`*Incidents:* ${facts.incidents.length ? facts.incidents.map((i) => clip(i.ref, 100)).join(', ') : 'none'}`, `*Rating:* ${rating}`];
  return [summary, timeline.join('\n'), waves.join('\n'), deviations.join('\n'), incidents.join('\n')].map((text) => clipLines(text, SECTION_MAX));
}

/** Cuts mrkdwn to `max` characters at a line break, saying how much was left out. */
function clipLines(text: string, max: number): string {
  if (text.length <= max) return text;
  const lines = text.split('\n');
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    if (length + line.length + 1 > max - 40) break;
    kept.push(line);
    length += line.length + 1;
  }
  return `${kept.join('\n')}\n_…${lines.length - kept.length} more not shown_`;
}

function input(blockId: string, label: string, options: { initial?: string; hint?: string; placeholder?: string; max?: number }): KnownBlock {
  const max = options.max ?? REVIEW_LIMITS.text;
  return {
    type: 'input',
    block_id: blockId,
    optional: true,
    label: { type: 'plain_text', text: label },
    ...(options.hint ? { hint: { type: 'plain_text', text: options.hint } } : {}),
    element: {
      type: 'plain_text_input',
      action_id: VALUE,
      multiline: true,
      max_length: max,
      ...(options.initial ? { initial_value: options.initial.slice(0, max) } : {}),
      ...(options.placeholder ? { placeholder: { type: 'plain_text', text: options.placeholder } } : {}),
    },
  };
}

/** The post-release review modal: the facts relm recorded, then what the reviewer adds (pre-filled when editing). */
export function reviewModal(facts: ReviewFacts, context: ViewContext): View {
  const review = facts.review;
  const blocks: KnownBlock[] = renderReviewFacts(facts).map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } }) as KnownBlock);
  blocks.push({ type: 'divider' });
  if (review) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Written by ${mention(review.author)}${review.edits ? `, changed ${review.edits}× (last by ${mention(review.editor)} ${slackTime(review.updatedAt)})` : ` ${slackTime(review.createdAt)}`}. Saving changes it; the change is audited.` }] });
  blocks.push(
    input(REVIEW_FIELDS.wentWell, 'What went well', { initial: review?.wentWell, placeholder: 'The canary caught the error before customers did' }),
    input(REVIEW_FIELDS.wentBadly, 'What did not go well', { initial: review?.wentBadly, placeholder: 'The rollback took 40 minutes: the runbook was out of date' }),
    input(REVIEW_FIELDS.lessons, 'Lessons learned', { initial: review?.lessons, hint: 'Searchable later with /release lessons <words>.' }),
    input(REVIEW_FIELDS.actions, 'Follow-up actions', { initial: review?.actions.join('\n'), max: REVIEW_LIMITS.actions * (REVIEW_LIMITS.action + 1), placeholder: 'Update the rollback runbook', hint: `One per line (at most ${REVIEW_LIMITS.actions}).` }),
  );
  if (facts.jiraKey) {
    const option = { text: { type: 'plain_text' as const, text: `Raise each action as a Jira issue linked to ${facts.jiraKey}`.slice(0, 75) }, value: 'yes' };
    blocks.push({
      type: 'input',
      block_id: REVIEW_FIELDS.raiseInJira,
      optional: true,
      label: { type: 'plain_text', text: 'Jira' },
      hint: { type: 'plain_text', text: 'Each action once: saving again never raises an action twice.' },
      element: { type: 'checkboxes', action_id: VALUE, options: [option], ...(review?.raiseInJira ?? true ? { initial_options: [option] } : {}) },
    });
  }
  return {
    type: 'modal',
    callback_id: VIEWS.review,
    private_metadata: JSON.stringify({ ...context, releaseId: facts.release.id }),
    title: { type: 'plain_text', text: `Review ${releaseKey(facts.release.id)}`.slice(0, TITLE_MAX) },
    submit: { type: 'plain_text', text: review ? 'Save changes' : 'Save review' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/** The answer once a review is saved. */
export function renderReviewSaved(releaseId: number, result: { edited: boolean; followUps: number }): string {
  return `:memo: ${result.edited ? 'Updated' : 'Saved'} the review of *${releaseKey(releaseId)}*.${result.followUps ? ` Follow-up actions go to Jira as issues linked to the change ticket (each once).` : ''}`;
}

/** The DM reminding an owner or release manager of a required review. */
export function renderReviewReminder(detail: ReleaseDetail, round: number, cardLink: string | undefined): string {
  const r = detail.release;
  const when = detail.review.dueAt ? (detail.review.status === 'overdue' ? `was due ${slackTime(detail.review.dueAt)}` : `is due by ${slackTime(detail.review.dueAt)}`) : 'is due';
  const card = cardLink ? ` (<${cardLink}|the card>)` : '';
  return `:memo: The post-release review of *${releaseKey(r.id)}* (${escapeText(r.service)} ${escapeText(r.version)}, ${stateLabel(r.state)})${card} ${when}${round > 1 ? ` (reminder ${round})` : ''}. Write it with \`/release review ${releaseKey(r.id)}\`.`;
}

/** The most an ephemeral answer shows: well inside one section's 3,000 characters. */
const LESSONS_MAX = 2_900;

/** Matches as mrkdwn: escaped, each match in bold, clipped to fit one message. */
export function renderLessons(words: string, matches: LessonMatch[]): string {
  if (matches.length === 0) return `No past review mentions “${clip(words, 100)}”. Try fewer or other words; \`"a phrase"\`, \`or\` and \`-word\` work too.`;
  const lines = [`*Lessons from past reviews* matching “${clip(words, 100)}”:`];
  let used = lines[0]!.length;
  for (const m of matches) {
    const headline = boldMatches(m.headline, 400);
    const line = `• *${releaseKey(m.releaseId)}* ${escapeText(m.service)} ${escapeText(m.version)}${m.title ? ` (${clip(m.title, 80)})` : ''}${m.finishedAt ? `, ${slackTime(m.finishedAt)}` : ''}\n   ${headline}`;
    if (used + line.length + 1 > LESSONS_MAX) {
      lines.push(`_…and ${matches.length - lines.length + 1} more; use more words to narrow it._`);
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  return lines.join('\n');
}

/** ts_headline's text with its match marks as bold, the rest escaped and clipped; newlines become spaces. */
function boldMatches(headline: string, max: number): string {
  const plain = headline.replace(/\s+/g, ' ').trim();
  const parts = plain.split(/(\u0001[^\u0002]*\u0002)/);
  let out = '';
  for (const part of parts) {
    const marked = part.startsWith('\u0001');
    const words = marked ? part.slice(1, -1) : part.replace(/[\u0001\u0002]/g, '');
    const escaped = escapeText(words);
    if (out.length + escaped.length + 2 > max) {
      out += clip(words, Math.max(1, max - out.length));
      break;
    }
    out += marked && words.trim() ? `*${escaped}*` : escaped;
  }
  return out;
}
