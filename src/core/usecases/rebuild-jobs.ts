import type { CoreContext, EffectLane } from '../context.ts';
import type { Waker } from '../ports/waker.ts';
import { effectOf } from '../effects/index.ts';
import { releasesToSweep } from '../../store/repositories/releases.ts';
import { unfinishedOutbox, wakeUpsFrom } from '../../store/repositories/outbox.ts';

export interface RebuiltJobs {
  /** Wake-ups still to come, put back at their own times. */
  wakeUps: number;
  /** Releases due or in progress, woken now (what a lost wake-up in the past would have done). */
  dueNow: number;
  /** Unfinished effects given their jobs again (deferred ones delayed to their moment). */
  effects: number;
}

/**
 * Re-creates, from the database, every job the queue should hold: after Redis came back empty (or
 * lost keys), the pending wake-ups and the unfinished effects exist again at once instead of waiting
 * for the minute sweep and the relay to find them. Job ids are the same deterministic ones the
 * original jobs had, so a job that survived is not doubled, and running this twice adds nothing.
 */
export async function rebuildJobs(ctx: CoreContext, waker: Waker): Promise<RebuiltJobs> {
  const now = ctx.clock();
  const wakeUps = await wakeUpsFrom(ctx.db, now);
  for (const w of wakeUps) await waker.wakeAt(w.releaseId, w.at);

  const due = await releasesToSweep(ctx.db, now, 10_000);
  for (const id of due) await waker.wakeAt(id, now);

  let effects = 0;
  for (let afterId = 0; ; ) {
    const rows = await unfinishedOutbox(ctx.db, { afterId });
    if (rows.length === 0) break;
    afterId = rows[rows.length - 1]!.id;
    // Rows that go at the same moment on the same lane are handed over together, one job per row.
    const groups = new Map<string, { lane: EffectLane; notBefore?: Date; ids: number[][] }>();
    for (const row of rows) {
      const lane = effectOf(row.kind)?.traits.lane ?? 'effects';
      const notBefore = row.notBefore && row.notBefore > now ? row.notBefore : undefined;
      const key = `${lane}:${notBefore?.getTime() ?? 0}`;
      const group = groups.get(key) ?? { lane, notBefore, ids: [] };
      group.ids.push([row.id]);
      groups.set(key, group);
    }
    for (const g of groups.values()) await ctx.effects.dispatch(g.ids, { lane: g.lane, notBefore: g.notBefore });
    effects += rows.length;
  }
  return { wakeUps: wakeUps.length, dueNow: due.length, effects };
}
