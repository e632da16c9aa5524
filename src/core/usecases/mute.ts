import type { CoreContext } from '../context.ts';
import { serviceOf } from '../settings.ts';
import { muteService, unmuteService } from '../../store/repositories/notice-mutes.ts';

/**
 * Stops (or restarts) a service's personal notices for one person. Channel messages are the team's
 * and stay; a DM already on its way is checked again before it goes.
 */
export async function setMuted(ctx: CoreContext, user: string, serviceKey: string, muted: boolean): Promise<{ service: string; changed: boolean }> {
  const service = serviceOf(ctx.settings, serviceKey);
  const changed = muted ? await muteService(ctx.db, user, service.key, ctx.clock()) : await unmuteService(ctx.db, user, service.key);
  return { service: service.key, changed };
}
