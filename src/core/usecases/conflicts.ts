import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../store/schema.ts';
import type { CoreContext } from '../context.ts';
import type { OutboxMessage } from '../effect.ts';
import { conflictsOf, conflictText, LIVE_STATES, longestExpectedMs, occupancyOf, type Conflict, type Occupancy } from '../conflicts.ts';
import type { StoredRelease } from '../release.ts';
import { liveReleasesBetween } from '../../store/repositories/releases.ts';

/**
 * The live releases whose rollouts may overlap this one's on its service or a shared target: one query
 * for the releases planned near its span (and every rollout under way), then the sweep.
 */
export async function conflictsForRelease(ctx: CoreContext, db: Kysely<DB> | Transaction<DB>, release: StoredRelease): Promise<Conflict[]> {
  if (!LIVE_STATES.includes(release.state)) return [];
  const now = ctx.clock();
  const mine = occupancyOf(ctx.settings, release, now);
  if (!mine) return [];
  const near = await liveReleasesBetween(db, new Date(mine.start.getTime() - longestExpectedMs(ctx.settings)), mine.end, LIVE_STATES);
  const others = near.flatMap((r) => (r.id === release.id ? [] : [occupancyOf(ctx.settings, r, now)].filter((o): o is Occupancy => o !== undefined)));
  return conflictsOf(mine, others);
}

/** What planning says of the conflicts it found. */
export function conflictWarnings(conflicts: Conflict[], max = 5): string[] {
  const lines = conflicts.slice(0, max).map((c) => `This rollout ${conflictText(c)}.`);
  if (conflicts.length > max) lines.push(`…and ${conflicts.length - max} more overlapping rollouts; \`/release calendar\` shows them.`);
  return lines;
}

/**
 * Card refreshes for the other releases a change put into or out of conflict with this one, so
 * REL-1's card shows the REL-2 that was just moved onto its span (and stops showing one moved away).
 */
export function otherCards(releaseId: number, before: Conflict[], after: Conflict[], at: Date): OutboxMessage[] {
  const others = [...new Set([...before, ...after].map((c) => c.other))].filter((id) => id !== releaseId);
  return others.map((id) => ({ kind: 'card', releaseId: id, dedupeKey: `card:${id}:conflict:${releaseId}:${at.getTime()}`, payload: { releaseId: id } }));
}
