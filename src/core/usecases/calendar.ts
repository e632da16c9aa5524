import type { CoreContext } from '../context.ts';
import { nextAllowedSlot, type Freeze } from '../windows.ts';
import { listReleases } from '../../store/repositories/releases.ts';
import type { StoredRelease } from '../release.ts';

export interface CalendarView {
  from: Date;
  to: Date;
  releases: StoredRelease[];
  freezes: (Freeze & { policy: string })[];
  windows: { policy: string; windows: string[] }[];
  /** The next moment each service's policy allows a change to start. */
  nextSlots: { service: string; at: Date | undefined }[];
}

/** The forward schedule of change: what is planned in the next `days`, with windows, freezes and free slots. */
export async function calendarView(ctx: CoreContext, days: number): Promise<CalendarView> {
  const from = ctx.clock();
  const to = new Date(from.getTime() + days * 86_400_000);
  const live = await listReleases(ctx.db, { states: ['draft', 'submitted', 'approved', 'scheduled', 'in_progress', 'paused'], limit: 500 });
  const releases = live
    .filter((r) => r.plannedStart && r.plannedStart <= to && (r.plannedStart >= from || r.state === 'in_progress' || r.state === 'paused'))
    .sort((a, b) => a.plannedStart!.getTime() - b.plannedStart!.getTime());
  const fromDay = from.toISOString().slice(0, 10);
  const toDay = to.toISOString().slice(0, 10);
  const policies = Object.values(ctx.settings.policies);
  return {
    from,
    to,
    releases,
    freezes: policies.flatMap((p) => p.calendar.freezes.filter((f) => f.to >= fromDay && f.from <= toDay).map((f) => ({ ...f, policy: p.name }))),
    windows: policies.map((p) => ({ policy: p.name, windows: p.calendar.windows.map((w) => w.text) })),
    nextSlots: Object.values(ctx.settings.services).map((s) => ({ service: s.key, at: nextAllowedSlot(ctx.settings.policies[s.policy]!.calendar, from) })),
  };
}
