import type { CalendarView } from '../../core/usecases/calendar.ts';
import { releaseKey } from '../../core/release.ts';
import { clip, escapeText, slackTime, stateLabel } from './format.ts';

/** The forward schedule of change as one ephemeral message. */
export function renderCalendar(view: CalendarView): string {
  const days = Math.round((view.to.getTime() - view.from.getTime()) / 86_400_000);
  const lines = [`*Forward schedule of change*, next ${days} days`];
  if (view.releases.length === 0) lines.push('_Nothing scheduled._');
  for (const r of view.releases) lines.push(`• ${slackTime(r.plannedStart!)} *${releaseKey(r.id)}* ${escapeText(r.service)} ${escapeText(r.version)}: ${clip(r.title, 80)} · ${stateLabel(r.state)}`);
  for (const f of view.freezes) lines.push(`:snowflake: Freeze ${f.from} to ${f.to}: ${escapeText(f.reason)} (${escapeText(f.policy)})`);
  for (const w of view.windows) lines.push(`:clock3: Windows (${escapeText(w.policy)}): ${w.windows.map(escapeText).join(', ') || 'any time'}`);
  lines.push(`*Next free slot:* ${view.nextSlots.map((s) => `${escapeText(s.service)} ${s.at ? slackTime(s.at) : 'none within 120 days'}`).join(' · ')}`);
  return lines.join('\n');
}
