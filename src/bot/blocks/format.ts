import type { ReleaseState } from '../../core/release.ts';
import { DateTime } from 'luxon';
import { replacePersonMarks, replaceTimeMarks } from '../../core/text.ts';

/** Escapes the three characters Slack's markup gives meaning to; every user-written string goes through here. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escaped, then cut to at most `max` characters as Slack counts them (section text is capped at 3,000,
 * confirm text at 300), never in the middle of an entity like `&amp;`.
 */
export function clip(text: string, max = 600): string {
  const escaped = escapeText(text);
  if (escaped.length <= max) return escaped;
  let cut = escaped.slice(0, max - 1);
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  return `${cut}…`;
}

/** A time Slack shows in each viewer's own timezone, with a UTC fallback for plain-text clients. */
export function slackTime(date: Date): string {
  const unix = Math.floor(date.getTime() / 1000);
  const fallback = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${unix}^{date_short_pretty} {time}|${fallback}>`;
}

/** A time in plain text (modal errors, fallbacks), in the given zone with the zone named. */
export function plainTime(date: Date, zone: string): string {
  return DateTime.fromJSDate(date, { zone }).toFormat("ccc d LLL yyyy HH:mm '('z')'");
}

/** A domain message's time marks as Slack dates, each reader seeing their own timezone. */
export function renderMarks(text: string): string {
  return replacePersonMarks(replaceTimeMarks(text, slackTime), (kind, id) => (kind === 'user' ? `<@${id}>` : `<!subteam^${id}>`));
}

export function mention(user: string): string {
  return /^[UW][A-Z0-9]+$/.test(user) ? `<@${user}>` : escapeText(user);
}

/** An approver list entry as Slack shows it: a user, a user group, or a group name from relm.yml. */
export function approverRef(entry: string): string {
  if (/^S[A-Z0-9]+$/.test(entry)) return `<!subteam^${entry}>`;
  if (/^[UW][A-Z0-9]+$/.test(entry)) return `<@${entry}>`;
  return `_${escapeText(entry)}_`;
}

const STATE_LABELS: Record<ReleaseState, string> = {
  draft: ':memo: Draft',
  submitted: ':hourglass_flowing_sand: Awaiting approval',
  approved: ':white_check_mark: Approved',
  rejected: ':no_entry: Rejected',
  scheduled: ':calendar: Scheduled',
  in_progress: ':rocket: Rolling out',
  paused: ':double_vertical_bar: Paused',
  completed: ':tada: Completed',
  failed: ':x: Failed',
  rolled_back: ':rewind: Rolled back',
  cancelled: ':wastebasket: Cancelled',
};

export function stateLabel(state: ReleaseState): string {
  return STATE_LABELS[state];
}
