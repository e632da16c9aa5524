import { z } from 'zod';
import { findRelease } from '../../store/repositories/releases.ts';
import { auditEntries } from '../../store/repositories/audit.ts';
import { postedCard } from '../usecases/card-ref.ts';
import { EffectNotReadyError, PermanentEffectError } from './errors.ts';
import { effect } from './effect.ts';
import { releaseId } from './payloads.ts';

/** The detail behind the card: a note in its thread for one or more audit entries. */
export const threadNoteEffect = effect({
  kinds: ['thread_note'],
  payload: z.object({ releaseId, auditSeq: z.number().int().optional(), auditSeqs: z.array(z.number().int()).optional() }),
  traits: {},
  async perform(ctx, { publisher }, _kind, payload, { key, retry }) {
    const release = await findRelease(ctx.db, payload.releaseId);
    if (!release) throw new PermanentEffectError(`release ${payload.releaseId} is gone`);
    const card = postedCard(release);
    if (!card) throw new EffectNotReadyError(`the card of release ${payload.releaseId} is not posted yet`);
    const seqs = payload.auditSeqs ?? (payload.auditSeq !== undefined ? [payload.auditSeq] : []);
    const entries = await auditEntries(ctx.db, payload.releaseId, seqs);
    if (entries.length === 0) throw new PermanentEffectError(`audit entries ${seqs.join(', ')} are not in release ${payload.releaseId}'s history`);
    return { ...(await publisher.postThreadNote(release, card, entries, key, retry)) };
  },
});
