import { findRelease } from '../../store/repositories/releases.ts';
import type { CoreContext } from '../context.ts';
import type { PostedRef, Publisher } from '../ports/publisher.ts';
import type { RolloutStep } from '../rollout.ts';
import { postedCard } from '../usecases/card-ref.ts';
import { EffectNotReadyError } from './errors.ts';

/** Posts a manual step's checklist in the card's thread (what the manual deployer is built with). */
export function checklistPoster(ctx: CoreContext, publisher: Publisher) {
  return async (releaseId: number, step: RolloutStep, retry: boolean): Promise<PostedRef> => {
    const release = await findRelease(ctx.db, releaseId);
    const card = postedCard(release);
    if (!release || !card) throw new EffectNotReadyError(`the card of release ${releaseId} is not posted yet`);
    return publisher.postChecklist(release, card, step, `checklist:${step.idempotencyKey}`, retry);
  };
}
