import type { CoreContext } from '../context.ts';
import { replanRelease } from './replan.ts';
import type { StoredRelease } from '../../store/repositories/releases.ts';

/**
 * Sets or moves the planned start. Moving a start that was already set counts as a reschedule.
 * The time is part of the authorised plan, so a move after approval asks the approvers again.
 */
export async function scheduleRelease(ctx: CoreContext, actor: string, id: number, at: Date): Promise<{ release: StoredRelease; warnings: string[] }> {
  return replanRelease(ctx, actor, id, { plannedStart: at });
}
