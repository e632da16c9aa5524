import type { CalendarView } from '../../core/usecases/calendar.ts';
import { conflictText } from '../../core/conflicts.ts';
import { releaseKey } from '../../core/release.ts';
import { clip, escapeText, renderMarks, slackTime, stateLabel } from './format.ts';
import { lockLine } from './control.ts';

/** Slack takes at most 40,000 characters in a message and people read far fewer: the first lines, then a count. */
const SHOWN_RELEASES = 60;
const RELEASE_LINES_CHARS = 12_000;

/** The forward schedule of change as one ephemeral message. */
export function renderCalendar(view: CalendarView): string {
  const days = Math.round((view.to.getTime() - view.from.getTime()) / 86_400_000);
  const lines = [`*Forward schedule of change*, next ${days} days${view.releases.length ? `: ${view.releases.length} release${view.releases.length === 1 ? '' : 's'}` : ''}${view.conflictPairs ? `, :warning: ${view.conflictPairs} overlapping pair${view.conflictPairs === 1 ? '' : 's'}` : ''}`];
  if (view.releases.length === 0) lines.push('_Nothing scheduled._');
  let shown = 0;
  let chars = 0;
  for (const r of view.releases.slice(0, SHOWN_RELEASES)) {
    if (chars > RELEASE_LINES_CHARS) break;
    shown++;
    const first = lines.length;
    lines.push(`• ${slackTime(r.plannedStart!)} *${releaseKey(r.id)}* ${escapeText(r.service)} ${escapeText(r.version)}: ${clip(r.title, 80)} · ${stateLabel(r.state)}`);
    const conflicts = view.conflicts.get(r.id) ?? [];
    if (conflicts.length) lines.push(`   :warning: ${conflicts.slice(0, 3).map((c) => renderMarks(escapeText(conflictText(c)))).join('; ')}${conflicts.length > 3 ? `; and ${conflicts.length - 3} more` : ''}`);
    for (let i = first; i < lines.length; i++) chars += lines[i]!.length + 1;
  }
  if (view.releases.length > shown) lines.push(`_…and ${(view.releases.length - shown).toLocaleString('en')} more; \`/release calendar <days>\` with fewer days shows less at once._`);
  for (const lock of view.locks) lines.push(lockLine(lock));
  for (const f of view.freezes) lines.push(`:snowflake: Freeze ${f.from} to ${f.to}: ${escapeText(f.reason)} (${escapeText(f.policy)})`);
  for (const w of view.windows) lines.push(`:clock3: Windows (${escapeText(w.policy)}): ${w.windows.map(escapeText).join(', ') || 'any time'}`);
  lines.push(`*Next free slot:* ${view.nextSlots.map((s) => `${escapeText(s.service)} ${s.at ? slackTime(s.at) : 'none within 120 days'}`).join(' · ')}`);
  return lines.join('\n');
}
