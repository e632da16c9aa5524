import { z } from 'zod';
import { findOutbox } from '../../store/repositories/outbox.ts';
import { AUDIENCE_EVENTS, NOTICE_EVENTS, audienceNoticeKey, ratingTerms, reminderSuperseded } from '../audience.ts';
import { own } from '../lookup.ts';
import type { PostedRef } from '../ports/publisher.ts';
import type { CoreContext } from '../context.ts';
import { releaseDetail } from '../usecases/queries.ts';
import { EffectNotReadyError } from './errors.ts';
import { effect } from './effect.ts';
import { releaseId } from './payloads.ts';


/** The audience message once posted; undefined when posting it failed for good (a channel relm is not in). */
async function postedNotice(ctx: CoreContext, releaseId: number, channel: string): Promise<PostedRef | undefined> {
  const posted = await findOutbox(ctx.db, audienceNoticeKey(releaseId, channel));
  if (posted?.state === 'failed') return undefined;
  if (posted?.state !== 'done' || !posted.result) throw new EffectNotReadyError(`the audience message of release ${releaseId} in ${channel} is not posted yet`);
  return posted.result as unknown as PostedRef;
}

const AudiencePayload = z.object({ releaseId, channel: z.string().regex(/^[CG][A-Z0-9]+$/), event: z.enum(AUDIENCE_EVENTS) });

/** The release's one message in an audience channel: posted at the first news, updated in place with its status. */
export const audienceNoticeEffect = effect({
  kinds: ['audience_notice'],
  payload: AudiencePayload,
  traits: {},
  async perform(ctx, { publisher }, _kind, { releaseId, channel }, { key, retry }) {
    const detail = await releaseDetail(ctx, releaseId, ctx.db, { history: false, effects: false });
    if (key === audienceNoticeKey(releaseId, channel)) return { ...(await publisher.postAudienceNotice(detail, channel, key, retry)) };
    // Every later change re-renders the message as it stands now, so the order of updates does not matter.
    const notice = await postedNotice(ctx, releaseId, channel);
    if (!notice) return { skipped: 'the audience message could not be posted' };
    await publisher.updateAudienceNotice(detail, notice);
    return { updated: true };
  },
});

const NotePayload = AudiencePayload.extend({ event: z.enum(NOTICE_EVENTS), startMs: z.number().int().optional(), beforeMs: z.number().int().positive().optional() });

/** A reply in the thread of the audience message for each step that matters (started, rescheduled, completed…), and the reminders before the start. */
export const audienceNoteEffect = effect({
  kinds: ['audience_note'],
  payload: NotePayload,
  traits: {},
  async perform(ctx, { publisher }, _kind, { releaseId, channel, event, startMs, beforeMs }, { key, retry }) {
    const detail = await releaseDetail(ctx, releaseId, ctx.db, { history: false, effects: false });
    if (event === 'reminder') {
      const r = detail.release;
      if (r.state !== 'scheduled' || r.plannedStart?.getTime() !== startMs) return { skipped: 'the start moved, or the release is no longer scheduled' };
      const all = own(ctx.settings.services, r.service)?.notify.beforeMs ?? [];
      if (beforeMs && startMs && reminderSuperseded(beforeMs, all, startMs, ctx.clock())) return { skipped: 'a later reminder is due as well' };
    }
    const notice = await postedNotice(ctx, releaseId, channel);
    if (!notice) return { skipped: 'the audience message could not be posted' };
    const terms = ratingTerms(event, own(ctx.settings.deploymentModels, detail.release.deploymentModel)?.earlyLifeSupportMs, detail.release.finishedAt);
    return { ...(await publisher.postAudienceNote(detail, notice, { event, beforeMs, ...terms }, key, retry)) };
  },
});
