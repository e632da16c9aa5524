import type { Transaction } from 'kysely';
import type { DB } from '../../store/schema.ts';
import { appendAuditEntries } from '../../store/repositories/audit.ts';
import { enqueueOutboxByRelease, withdrawDeferred } from '../../store/repositories/outbox.ts';
import type { CoreContext } from '../context.ts';
import type { OutboxMessage } from '../effect.ts';
import type { ReleaseState, StoredRelease } from '../release.ts';
import { audienceChannels, audienceEventOf, audienceNoticeKey, isPersonalEntry, reminderKey, reminderPrefix, reminderTag } from '../audience.ts';
import { own } from '../lookup.ts';
import { quietHoursLength } from '../notice-time.ts';
import { homeRefreshEffect } from '../home.ts';
import { anyHomeOpened } from '../../store/repositories/home.ts';
import { releaseCommitsEffects } from '../release-commits.ts';

/** The facts of a release an audit entry keeps, before and after a change. */
export function snapshot(release: StoredRelease): Record<string, unknown> {
  return {
    state: release.state,
    revision: release.revision,
    version: release.version,
    type: release.type,
    title: release.title,
    risk: release.risk,
    plannedStart: release.plannedStart?.toISOString() ?? null,
    deploymentModel: release.deploymentModel,
    // The assessment and a lower stated risk's reason, where the policy assesses risk.
    ...(release.assessedRisk ? { assessedRisk: release.assessedRisk } : {}),
    ...(release.riskReason ? { riskReason: release.riskReason } : {}),
  };
}

interface PendingChange {
  release: StoredRelease;
  actor: string;
  action: string;
  before?: unknown;
  after?: unknown;
  at: Date;
  effects?: OutboxMessage[];
}

const pending = new WeakMap<object, PendingChange[]>();

/**
 * Records a change to a release inside a `changeTransaction`: one audit entry, a refresh of the
 * release card, a note in the card's thread, and any further effects. All of it is written when the
 * transaction's own work is done, just before commit, so the audit chain's lock is held for as short
 * a time as possible; the effects are outbox rows, performed after commit and surviving a crash.
 */
export async function recordChange(trx: Transaction<DB>, change: PendingChange): Promise<{ outboxIds: number[] }> {
  const list = pending.get(trx);
  if (!list) throw new Error('recordChange must run inside changeTransaction, or the change would never be written');
  list.push(change);
  return { outboxIds: [] };
}

/**
 * A mark in the transaction's recorded changes, and a way back to it: a batch of rollout ticks drops
 * what a failed tick recorded and keeps the others'.
 */
export function changesMark(trx: Transaction<DB>): { rollback(): void } {
  const list = pending.get(trx);
  if (!list) throw new Error('changesMark must run inside changeTransaction');
  const length = list.length;
  return { rollback: () => void list.splice(length) };
}

/** What the change ticket hears of: actions worth a comment, in the words of the release's history. */
const JIRA_COMMENTS: Record<string, (after: Record<string, unknown>, actor: string) => string> = {
  approval_given: (a, actor) => `Approved by Slack user ${actor} (revision ${a.revision})${a.comment ? `: ${a.comment}` : ''}.`,
  rejected: (a, actor) => `Rejected by Slack user ${actor}: ${a.reason ?? ''}`,
  rescheduled: (a) => `Rescheduled to ${a.plannedStart ?? 'no planned start'}.`,
  rollout_completed: () => 'Rolled out to every target.',
  rolled_back: () => 'Rolled back.',
  wave_failed: (a) => `Wave ${a.wave} failed${a.detail ? `: ${a.detail}` : ''}.`,
  rollout_aborted: (a) => `Rollout aborted: ${a.reason ?? ''}`,
};

const FIELD_ACTIONS = new Set(['scheduled', 'rescheduled', 'replanned']);

/** The Jira side of a change: a transition when the state moved (by the configured name), a comment when it says something. */
function jiraEffects(ctx: CoreContext, change: PendingChange, seq: number): OutboxMessage[] {
  if (!ctx.jira || !ctx.settings.services[change.release.service]?.jiraProject) return [];
  const before = (change.before as { state?: string } | undefined)?.state;
  const after = change.after as Record<string, unknown> | undefined;
  const state = after?.state as string | undefined;
  const effects: OutboxMessage[] = [];
  // An approval that goes straight onto the calendar still moves the ticket by the "approved" transition.
  const moved = state !== undefined && state !== before;
  const transition = moved ? (ctx.settings.jira.transitions[change.action] ?? ctx.settings.jira.transitions[state]) : undefined;
  if (transition) effects.push({ kind: 'jira_transition', releaseId: change.release.id, dedupeKey: `jira:transition:${seq}`, payload: { releaseId: change.release.id, transition } });
  const comment = JIRA_COMMENTS[change.action]?.(after ?? {}, change.actor);
  if (comment) effects.push({ kind: 'jira_comment', releaseId: change.release.id, dedupeKey: `jira:comment:${seq}`, payload: { releaseId: change.release.id, text: comment } });
  // A raised ticket's mapped fields (planned start and end, risk) follow the plan; a release never
  // submitted has no ticket yet, and its raise will carry them.
  const plan = change.action === 'replanned';
  if (FIELD_ACTIONS.has(change.action) && change.release.submittedAt && (plan || Object.keys(ctx.settings.jira.fields).length)) {
    effects.push({ kind: 'jira_update', releaseId: change.release.id, dedupeKey: `jira:update:${seq}`, payload: { releaseId: change.release.id, plan } });
  }
  return effects;
}

/**
 * What a release's audience hears of a change: in each channel the message, posted or updated, and a
 * reply for the step; for the people it names, one DM each (fanned out after commit); and, once it is
 * scheduled, the reminders before its start, each waiting for its moment in the outbox.
 */
function audienceEffects(ctx: CoreContext, change: PendingChange, seq: number): OutboxMessage[] {
  const service = own(ctx.settings.services, change.release.service);
  const event = audienceEventOf(change.action, (change.before as { state?: ReleaseState } | undefined)?.state, (change.after as { state?: ReleaseState } | undefined)?.state);
  if (!service || !event) return [];
  const releaseId = change.release.id;
  const messages: OutboxMessage[] = audienceChannels(service.audience).flatMap((channel) => [
    // The message has one key per release and channel, so however often it is asked for, it is posted once.
    { kind: 'audience_notice', releaseId, dedupeKey: audienceNoticeKey(releaseId, channel), payload: { releaseId, channel, event } },
    { kind: 'audience_notice', releaseId, dedupeKey: `audience:update:${seq}:${channel}`, payload: { releaseId, channel, event } },
    { kind: 'audience_note', releaseId, dedupeKey: `audience:note:${seq}:${channel}`, payload: { releaseId, channel, event } },
  ]);
  const personal = service.audience.some(isPersonalEntry);
  if (personal) messages.push({ kind: 'audience_dm_fanout', releaseId, dedupeKey: `audience:dmfan:${releaseId}:${seq}`, payload: { releaseId, event, tag: String(seq) } });
  // With early life support, the question how it went comes when support ends.
  const support = own(ctx.settings.deploymentModels, change.release.deploymentModel)?.earlyLifeSupportMs;
  if (event === 'completed' && support) {
    const askAt = new Date(change.at.getTime() + support);
    const payload = { releaseId, event: 'rate', tag: 'rate' };
    for (const channel of audienceChannels(service.audience)) messages.push({ kind: 'audience_note', releaseId, dedupeKey: `audience:rate:${releaseId}:${channel}`, payload: { ...payload, channel }, notBefore: askAt });
    if (personal) messages.push({ kind: 'audience_dm_fanout', releaseId, dedupeKey: `audience:ratefan:${releaseId}`, payload, notBefore: askAt });
  }
  const start = change.release.plannedStart;
  if ((event === 'scheduled' || event === 'rescheduled') && start) {
    const startMs = start.getTime();
    for (const beforeMs of service.notify.beforeMs) {
      const due = new Date(startMs - beforeMs);
      if (due <= change.at) continue;
      const tag = reminderTag(startMs, beforeMs, seq);
      const stem = reminderKey(releaseId, tag);
      const payload = { releaseId, event: 'reminder', startMs, beforeMs, tag };
      for (const channel of audienceChannels(service.audience)) messages.push({ kind: 'audience_note', releaseId, dedupeKey: `${stem}:ch:${channel}`, payload: { ...payload, channel }, notBefore: due });
      // Fanned out ahead of time, so a reader whose night covers the moment can have it the evening before.
      const fanout = new Date(Math.max(change.at.getTime(), due.getTime() - quietHoursLength(service.notify.quietHours)));
      if (personal) messages.push({ kind: 'audience_dm_fanout', releaseId, dedupeKey: `${stem}:fan`, payload, notBefore: fanout });
    }
  }
  return messages;
}

/** The App Home views a change may alter are refreshed, debounced per person (see effects/home.ts). */
function homeEffects(change: PendingChange, seq: number): OutboxMessage[] {
  const state = (side: unknown) => (side as { state?: ReleaseState } | undefined)?.state;
  return homeRefreshEffect({ releaseId: change.release.id, action: change.action, before: state(change.before), after: state(change.after) }, seq);
}

/** Audience events after which the reminders of an earlier start are not to be sent. */
const ENDS_REMINDERS = new Set(['scheduled', 'rescheduled', 'on_hold', 'started', 'cancelled']);

async function flush(ctx: CoreContext, trx: Transaction<DB>, changes: PendingChange[]): Promise<{ outboxIds: number[][]; withdrawn: number[] }> {
  if (changes.length === 0) return { outboxIds: [], withdrawn: [] };
  // A start that moved, or a release that will not start as planned: its pending reminders go.
  const withdrawn: number[] = [];
  for (const change of changes) {
    const event = audienceEventOf(change.action, (change.before as { state?: ReleaseState } | undefined)?.state, (change.after as { state?: ReleaseState } | undefined)?.state);
    if (event && ENDS_REMINDERS.has(event)) withdrawn.push(...(await withdrawDeferred(trx, change.release.id, reminderPrefix(change.release.id))));
  }
  const entries = await appendAuditEntries(
    trx,
    changes.map((c) => ({ releaseId: c.release.id, actor: c.actor, action: c.action, before: c.before, after: c.after, at: c.at })),
  );
  const messages: OutboxMessage[] = [];
  const seqsOf = new Map<number, number[]>();
  // Until someone opens App Home there is no Home to refresh, and no row is written to find out whose.
  const homes = await anyHomeOpened(trx);
  changes.forEach((change, i) => {
    seqsOf.set(change.release.id, [...(seqsOf.get(change.release.id) ?? []), entries[i]!.seq]);
    messages.push(
      ...(change.effects ?? []),
      ...jiraEffects(ctx, change, entries[i]!.seq),
      ...audienceEffects(ctx, change, entries[i]!.seq),
      ...(homes ? homeEffects(change, entries[i]!.seq) : []),
      // A completed release's commits, for the lead time for changes (GitHub's compare of the previous tag).
      ...releaseCommitsEffects(ctx, change.release, change.action),
    );
  });
  // Per release and transaction: one card refresh (the state as of commit) and one thread note that
  // tells every entry, which also keeps relm well inside Slack's per-channel posting rate.
  for (const [releaseId, seqs] of seqsOf) {
    const last = seqs[seqs.length - 1]!;
    messages.unshift(
      { kind: 'card', releaseId, dedupeKey: `card:${releaseId}:${last}`, payload: { releaseId } },
      { kind: 'thread_note', releaseId, dedupeKey: `thread_note:${last}`, payload: { releaseId, auditSeqs: seqs } },
    );
  }
  return { outboxIds: await enqueueOutboxByRelease(trx, messages, changes[changes.length - 1]!.at), withdrawn };
}

/**
 * A transaction whose recorded changes are audited and whose effects are dispatched after commit.
 * Every use case that changes a release runs in one.
 */
export async function changeTransaction<T>(ctx: CoreContext, body: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  const { value, outboxIds, withdrawn } = await ctx.db.transaction().execute(async (trx) => {
    pending.set(trx, []);
    const value = await body(trx);
    return { value, ...(await flush(ctx, trx, pending.get(trx)!)) };
  });
  if (withdrawn.length) {
    await ctx.effects.withdraw?.(withdrawn, 'effects');
    await ctx.effects.withdraw?.(withdrawn, 'notices');
  }
  await ctx.effects.dispatch(outboxIds);
  return value;
}
