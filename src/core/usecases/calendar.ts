import type { CoreContext } from '../context.ts';
import { nextAllowedSlot, type Freeze } from '../windows.ts';
import { findConflicts, LIVE_STATES, longestExpectedMs, occupancyOf, type Conflict, type Occupancy } from '../conflicts.ts';
import type { DeployLock } from '../locks.ts';
import { liveReleasesBetween, type CalendarRelease } from '../../store/repositories/releases.ts';
import { activeLocks } from '../../store/repositories/deploy-locks.ts';

export interface CalendarView {
  from: Date;
  to: Date;
  /** Every live release planned to start in the period, and every rollout under way, by start. */
  releases: CalendarRelease[];
  /** Each release's overlapping rollouts (same service or a shared target), by release id. */
  conflicts: Map<number, Conflict[]>;
  /** How many pairs of releases conflict. */
  conflictPairs: number;
  /** Deploy locks in force now. */
  locks: DeployLock[];
  freezes: (Freeze & { policy: string })[];
  windows: { policy: string; windows: string[] }[];
  /** The next moment each service's policy allows a change to start. */
  nextSlots: { service: string; at: Date | undefined }[];
}

/**
 * The forward schedule of change: what is planned in the next `days`, the rollouts that may overlap,
 * the locks in force, windows, freezes and free slots. Two queries (the releases, the locks) and one
 * sweep over the spans, so it stays fast with thousands of releases planned.
 */
export async function calendarView(ctx: CoreContext, days: number): Promise<CalendarView> {
  const from = ctx.clock();
  const to = new Date(from.getTime() + days * 86_400_000);
  // Releases that started before `from` may still run into it: read back as far as the longest rollout.
  const read = await liveReleasesBetween(ctx.db, new Date(from.getTime() - longestExpectedMs(ctx.settings)), to, LIVE_STATES);
  const spans = read.map((r) => occupancyOf(ctx.settings, r, from)).filter((o): o is Occupancy => o !== undefined);
  const live = spans.filter((o) => o.end > from);
  const conflicts = findConflicts(live);
  const shown = new Set(live.map((o) => o.id));
  const releases = read
    .filter((r) => shown.has(r.id) && r.plannedStart && r.plannedStart <= to && (r.plannedStart >= from || r.state === 'in_progress' || r.state === 'paused'))
    .sort((a, b) => a.plannedStart!.getTime() - b.plannedStart!.getTime() || a.id - b.id);
  let pairs = 0;
  for (const list of conflicts.values()) pairs += list.length;
  const fromDay = from.toISOString().slice(0, 10);
  const toDay = to.toISOString().slice(0, 10);
  const policies = Object.values(ctx.settings.policies);
  return {
    from,
    to,
    releases,
    conflicts,
    conflictPairs: pairs / 2,
    locks: await activeLocks(ctx.db, from),
    freezes: policies.flatMap((p) => p.calendar.freezes.filter((f) => f.to >= fromDay && f.from <= toDay).map((f) => ({ ...f, policy: p.name }))),
    windows: policies.map((p) => ({ policy: p.name, windows: p.calendar.windows.map((w) => w.text) })),
    nextSlots: Object.values(ctx.settings.services).map((s) => ({ service: s.key, at: nextAllowedSlot(ctx.settings.policies[s.policy]!.calendar, from) })),
  };
}
