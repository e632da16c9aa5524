import type { Release, ReleaseState } from './release.ts';
import { releaseKey } from './release.ts';
import type { Settings } from './settings.ts';
import { own } from './lookup.ts';
import { wavesOf } from './rollout.ts';
import { expectedDurationMs } from './rollout-span.ts';
import { fragment, timeMark } from './text.ts';

/** The states in which a release holds (or will hold) a place on the calendar. */
export const LIVE_STATES: readonly ReleaseState[] = ['draft', 'submitted', 'approved', 'scheduled', 'in_progress', 'paused'];

/** Where and when one release's rollout is expected to run. */
export interface Occupancy {
  id: number;
  service: string;
  /** Every target its waves touch, deduplicated. */
  targets: string[];
  start: Date;
  end: Date;
}

/** Another release whose rollout may overlap this one's: on which service or targets, and when it runs. */
export interface Conflict {
  other: number;
  /** The targets both touch; when they share none, the service they both change. */
  where: string[];
  /** The other release's expected span. */
  start: Date;
  end: Date;
}

type SpanRelease = Pick<Release, 'id' | 'service' | 'state' | 'plannedStart' | 'startedAt' | 'deploymentModel' | 'waves'>;

/**
 * The expected span of a release's rollout: from its start (the actual one once it has started, else
 * the planned one) for the model's expected duration (waves, verification timeouts, bakes). A rollout
 * still running past its expected end occupies its targets until `now`. Undefined without a start or
 * with a model relm.yml no longer has.
 */
export function occupancyOf(settings: Settings, release: SpanRelease, now: Date): Occupancy | undefined {
  const running = release.state === 'in_progress' || release.state === 'paused';
  const start = running ? (release.startedAt ?? release.plannedStart) : release.plannedStart;
  if (!start) return undefined;
  const model = own(settings.deploymentModels, release.deploymentModel);
  if (!model) return undefined;
  const waves = wavesOf(settings, release);
  let end = start.getTime() + expectedDurationMs({ ...model, waves });
  if (running) end = Math.max(end, now.getTime());
  return { id: release.id, service: release.service, targets: [...new Set(waves.flatMap((w) => w.targets))], start, end: new Date(end) };
}

/** The longest rollout any model (or a release's own waves, which only regroup a model's targets) is expected to take. */
export function longestExpectedMs(settings: Settings): number {
  return Math.max(0, ...Object.values(settings.deploymentModels).map((m) => expectedDurationMs(m)));
}

function keysOf(o: Occupancy): string[] {
  return [`s:${o.service}`, ...o.targets.map((t) => `t:${t}`)];
}

function whereOf(a: Occupancy, b: Occupancy): string[] {
  const shared = a.targets.filter((t) => b.targets.includes(t));
  return shared.length ? shared : [a.service];
}

/**
 * Every pair of rollouts that may overlap in time on the same service or a shared target, by a sweep
 * over the spans sorted by start: each span is compared only with the spans still open on one of its
 * keys (its service and its targets), so the work is O(n log n) plus the overlaps found, not O(n²).
 */
export function findConflicts(items: readonly Occupancy[]): Map<number, Conflict[]> {
  const sorted = [...items].sort((a, b) => a.start.getTime() - b.start.getTime() || a.id - b.id);
  // Per key, the spans still open at the current start; expired ones are dropped in place as the sweep passes.
  const open = new Map<string, Occupancy[]>();
  const out = new Map<number, Conflict[]>();
  const add = (of: Occupancy, other: Occupancy) => {
    const conflict = { other: other.id, where: whereOf(of, other), start: other.start, end: other.end };
    const list = out.get(of.id);
    if (list) list.push(conflict);
    else out.set(of.id, [conflict]);
  };
  const paired = new Set<number>();
  for (const item of sorted) {
    const at = item.start.getTime();
    paired.clear();
    for (const key of keysOf(item)) {
      let active = open.get(key);
      if (!active) open.set(key, (active = []));
      let kept = 0;
      for (const other of active) {
        if (other.end.getTime() <= at) continue;
        active[kept++] = other;
        // Two spans sharing several keys (the service and a target) are one conflict.
        if (other.id === item.id || paired.has(other.id)) continue;
        paired.add(other.id);
        add(item, other);
        add(other, item);
      }
      active.length = kept;
      active.push(item);
    }
  }
  for (const list of out.values()) list.sort((a, b) => a.start.getTime() - b.start.getTime() || a.other - b.other);
  return out;
}

/** The conflicts of one rollout with the others (the same sweep, kept to the pairs that include it). */
export function conflictsOf(item: Occupancy, others: readonly Occupancy[]): Conflict[] {
  return findConflicts([item, ...others.filter((o) => o.id !== item.id)]).get(item.id) ?? [];
}

/** "overlaps REL-17 on eu-1, <start>–<end>", the times as marks the edge renders in each reader's zone. */
export function conflictText(conflict: Conflict): string {
  return `overlaps ${releaseKey(conflict.other)} on ${conflict.where.map((w) => fragment(w, 40)).join(', ')}, ${timeMark(conflict.start)}–${timeMark(conflict.end)}`;
}

/** Whether two releases touch the same service or a shared target (regardless of time). */
export function touchesSame(a: Pick<Occupancy, 'service' | 'targets'>, b: Pick<Occupancy, 'service' | 'targets'>): boolean {
  return a.service === b.service || a.targets.some((t) => b.targets.includes(t));
}
