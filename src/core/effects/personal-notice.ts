import { z } from 'zod';
import { NOTICE_EVENTS, audiencePeople, ratingTerms, reminderKey, reminderSuperseded, type NoticeEvent } from '../audience.ts';
import type { CoreContext } from '../context.ts';
import type { OutboxMessage } from '../effect.ts';
import { deliveryTime } from '../notice-time.ts';
import type { StoredRelease } from '../release.ts';
import { own } from '../lookup.ts';
import { releaseDetail } from '../usecases/queries.ts';
import { findRelease } from '../../store/repositories/releases.ts';
import { mutedAmong } from '../../store/repositories/notice-mutes.ts';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';
import { effect } from './effect.ts';
import { releaseId } from './payloads.ts';

const NoticePayload = z.object({
  releaseId,
  event: z.enum(NOTICE_EVENTS),
  /** What makes this notice one of a kind: the change's audit seq, or the reminder's start and lead. */
  tag: z.string().min(1),
  startMs: z.number().int().optional(),
  beforeMs: z.number().int().positive().optional(),
});

const DmPayload = NoticePayload.extend({
  user: z.string().regex(/^[UW][A-Z0-9]+$/),
  /** Held through the reader's night: by the time it goes, a later step may have made it stale. */
  held: z.boolean().optional(),
});

/** The state a notice speaks of: a held notice whose release has moved on is not sent (the later one is). */
const STATE_OF: Record<NoticeEvent, string[]> = {
  scheduled: ['scheduled'],
  rescheduled: ['scheduled'],
  reminder: ['scheduled'],
  on_hold: ['submitted'],
  started: ['in_progress'],
  resumed: ['in_progress'],
  paused: ['paused'],
  completed: ['completed'],
  failed: ['failed'],
  rolled_back: ['rolled_back'],
  cancelled: ['cancelled'],
  rate: ['completed', 'rolled_back'],
};

/** Why a reminder is no longer to be sent, if it is not. */
function staleReminder(ctx: CoreContext, release: StoredRelease, startMs: number | undefined, beforeMs: number | undefined, all: number[]): string | undefined {
  if (release.state !== 'scheduled' || release.plannedStart?.getTime() !== startMs) return 'the start moved, or the release is no longer scheduled';
  if (beforeMs && startMs && reminderSuperseded(beforeMs, all, startMs, ctx.clock())) return 'a later reminder is due as well';
  return undefined;
}

const PAGE = 1_000;

/**
 * Fans one notice out to the people of a service's audience: one row per person (keyed, so a retry adds
 * none twice), each due when it reaches them at a sensible local hour, on the notices lane whose rate
 * limit every worker shares. Muted people get none.
 */
export const personalFanoutEffect = effect({
  kinds: ['audience_dm_fanout'],
  payload: NoticePayload,
  traits: {},
  async perform(ctx, _ports, _kind, payload) {
    const release = await findRelease(ctx.db, payload.releaseId);
    const service = release ? own(ctx.settings.services, release.service) : undefined;
    if (!release || !service) return { skipped: 'the release or its service is gone' };
    if (payload.event === 'reminder') {
      const stale = staleReminder(ctx, release, payload.startMs, payload.beforeMs, service.notify.beforeMs);
      if (stale) return { skipped: stale };
    }
    const people = await audiencePeople(service.audience, ctx.settings.groups, ctx.directory);
    const muted = await mutedAmong(ctx.db, service.key, people);
    const recipients = people.filter((user) => !muted.has(user));
    const zones = await ctx.directory.timezones(recipients);
    const now = ctx.clock();
    const start = payload.startMs ? new Date(payload.startMs) : undefined;
    const due = payload.event === 'reminder' && start && payload.beforeMs ? new Date(start.getTime() - payload.beforeMs) : now;
    const urgent = payload.event === 'started' && release.type === 'emergency';
    const byMoment = new Map<number, OutboxMessage[]>();
    let unsendable = 0;
    for (const user of recipients) {
      const at = deliveryTime({ due, tz: zones.get(user) ?? ctx.settings.timezone, quiet: service.notify.quietHours, now, deadline: payload.event === 'reminder' ? start : undefined, urgent });
      if (!at) {
        unsendable++;
        continue;
      }
      const held = at.getTime() > now.getTime();
      const key = payload.event === 'reminder' ? `${reminderKey(release.id, payload.startMs!, payload.beforeMs!)}:dm:${user}` : `audience:dm:${release.id}:${payload.tag}:${user}`;
      // A reminder's rows always carry their moment, so a reschedule finds and withdraws them.
      const message: OutboxMessage = { kind: 'audience_dm', releaseId: release.id, dedupeKey: key, payload: { ...payload, user, ...(held ? { held } : {}) }, ...(held || payload.event === 'reminder' ? { notBefore: at } : {}) };
      const moment = held ? at.getTime() : 0;
      byMoment.set(moment, [...(byMoment.get(moment) ?? []), message]);
    }
    let queued = 0;
    for (const [moment, messages] of byMoment) {
      for (let i = 0; i < messages.length; i += PAGE) {
        const ids = await enqueueOutbox(ctx.db, messages.slice(i, i + PAGE), now);
        queued += ids.length;
        await ctx.effects.dispatch(ids, { lane: 'notices', ...(moment ? { notBefore: new Date(moment) } : {}) });
      }
    }
    return { recipients: recipients.length, muted: muted.size, queued, ...(unsendable ? { beforeMorning: unsendable } : {}) };
  },
});

/** One personal notice, by DM. */
export const personalNoticeEffect = effect({
  kinds: ['audience_dm'],
  payload: DmPayload,
  traits: { lane: 'notices' },
  async perform(ctx, { publisher }, _kind, payload, { key, retry }) {
    const release = await findRelease(ctx.db, payload.releaseId);
    const service = release ? own(ctx.settings.services, release.service) : undefined;
    if (!release || !service) return { skipped: 'the release or its service is gone' };
    if ((await mutedAmong(ctx.db, service.key, [payload.user])).size) return { skipped: 'muted' };
    if (payload.event === 'reminder') {
      const stale = staleReminder(ctx, release, payload.startMs, payload.beforeMs, service.notify.beforeMs);
      if (stale) return { skipped: stale };
    } else if (payload.held && !STATE_OF[payload.event].includes(release.state)) {
      return { skipped: `the release is ${release.state} now; a later notice tells it` };
    }
    const detail = await releaseDetail(ctx, release.id, ctx.db, { history: false, effects: false });
    const terms = ratingTerms(payload.event, own(ctx.settings.deploymentModels, release.deploymentModel)?.earlyLifeSupportMs, release.finishedAt);
    return { ...(await publisher.postPersonalNotice(detail, payload.user, { event: payload.event, beforeMs: payload.beforeMs, ...terms }, key, retry)) };
  },
});
