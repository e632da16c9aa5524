import type { CoreContext } from '../context.ts';
import type { AuditEntry } from '../audit.ts';
import { claimOutbox, completeOutbox, earlierUndone, enqueueOutbox, failOutbox, findOutbox } from '../../store/repositories/outbox.ts';
import { claimCardPost, findRelease, setCard, type StoredRelease } from '../../store/repositories/releases.ts';
import { serviceOf } from '../policy.ts';
import { CodeHostRejectedError, type CodeHost, type DeploymentHost } from '../code-host.ts';
import { pollGitHubDeployments } from './github-deployments.ts';
import type { ChangeTracker } from '../change-tracker.ts';
import { releaseKey } from '../release.ts';
import { auditEntries, latestAuditSeq } from '../../store/repositories/audit.ts';
import { releaseDetail, type ReleaseDetail } from './queries.ts';
import { findStep, ticksOf, type RolloutStep } from '../../store/repositories/steps.ts';
import { DeployRejectedError, type Deployer, type DeployStarted } from '../deployer.ts';
import { modelOf, wavesOf } from '../rollout.ts';
import { completeStep, recordVerification } from './rollout/steps.ts';
import { changeTransaction, recordChange } from './record-change.ts';
import { wakeEffect } from './rollout/effects.ts';
import { loadRelease } from './load.ts';
import { EffectNotReadyError, PermanentEffectError } from './effect-errors.ts';
import { jiraTicket, type JiraPayload } from './jira-ticket.ts';
import { incidentFromJira } from './incidents.ts';
import { POSTING, postedCard } from './card-ref.ts';

export interface PostedRef {
  channel: string;
  ts: string;
}

/**
 * Where release news goes (Slack in relm). Every post takes an idempotency key; when `retry` is true an
 * earlier attempt may have posted already, and the publisher must look for it before posting again.
 */
export interface Publisher {
  upsertCard(detail: ReleaseDetail, card: PostedRef | null, key: string, retry: boolean): Promise<PostedRef>;
  postThreadNote(release: StoredRelease, card: PostedRef, entries: AuditEntry[], key: string, retry: boolean): Promise<PostedRef>;
  postApprovalRequest(detail: ReleaseDetail, card: PostedRef, key: string, retry: boolean): Promise<PostedRef>;
  closeApprovalRequest(detail: ReleaseDetail, request: PostedRef, revision: number, outcome: string): Promise<void>;
  announce(detail: ReleaseDetail, card: PostedRef, event: string, key: string, retry: boolean): Promise<PostedRef>;
  /** A link that opens the card (the change ticket's release link); optional for publishers without one. */
  permalink?(card: PostedRef): Promise<string>;
  /** The manual deployer's checklist for a step, in the card's thread, with a button per item. */
  postChecklist(release: StoredRelease, card: PostedRef, step: RolloutStep, key: string, retry: boolean): Promise<PostedRef>;
  /** A warning for a service's channel that is not about one release (an unauthorised version). */
  postAlert(alert: Alert, key: string, retry: boolean): Promise<PostedRef>;
  updateChecklist(release: StoredRelease, checklist: PostedRef, step: RolloutStep, ticks: { item: number; actor: string; at: Date }[]): Promise<void>;
}

export { EffectNotReadyError, PermanentEffectError };

export interface Alert {
  channel: string;
  service: string;
  version: string;
  kind: string;
  detail: string;
  url: string | null;
}

const MAX_NOT_READY_ATTEMPTS = 30;

const JIRA_IN_ORDER = ['jira_raise', 'jira_transition', 'jira_comment', 'jira_update'];

export type EffectOutcome = 'done' | 'already_done' | 'busy' | 'failed';

/** Wakes a release's rollout at a time (BullMQ delayed jobs in relm). */
export interface Waker {
  wakeAt(releaseId: number, at: Date): Promise<void>;
}

/** Asks a wave's verification URL once. */
export interface Verifier {
  check(url: string, expect: number): Promise<{ passed: boolean; detail: string }>;
}

/** Everything effects are performed with, built by the composition root. */
export interface EffectPorts {
  publisher: Publisher;
  waker: Waker;
  verifier: Verifier;
  deployers: Record<string, Deployer>;
  /** Change tickets (absent when Jira is not configured). */
  changeTracker?: ChangeTracker;
  /** GitHub releases (absent when GITHUB_TOKEN is not set). */
  codeHost?: CodeHost;
  /** GitHub deployments, polled by the github deployer's steps (absent when GITHUB_TOKEN is not set). */
  deploymentHost?: DeploymentHost;
  /** How long one attempt may hold an effect before a worker presumes it dead and takes over. */
  leaseMs?: number;
}

/**
 * Performs one outbox row: at most one attempt at a time per row (claimed under a row lock), and a
 * completed row is never performed again, so retries, relays and two workers cannot double a post.
 */
export async function performEffect(ctx: CoreContext, ports: EffectPorts, outboxId: number): Promise<EffectOutcome> {
  const row = await claimOutbox(ctx.db, outboxId, ports.leaseMs);
  if (row === 'done') return 'already_done';
  // Another worker is performing it right now; if that attempt dies, its lease runs out and the relay
  // hands the row out again.
  if (row === 'busy') return 'busy';
  const retry = row.previousState === 'sending';
  const payload = row.payload as EffectPayload;
  try {
    // A ticket's workflow goes one step at a time: its moves and comments are made in the order written.
    if (JIRA_IN_ORDER.includes(row.kind) && payload.releaseId && (await earlierUndone(ctx.db, payload.releaseId, outboxId, JIRA_IN_ORDER))) {
      throw new EffectNotReadyError('an earlier change to the change ticket is not made yet');
    }
    const result = await run(ctx, ports, row.kind, row.dedupe_key, payload, retry);
    await completeOutbox(ctx.db, outboxId, result, ctx.clock());
    return 'done';
  } catch (error) {
    // An effect that waits for another (a note for a card that could never be posted) gives up in the end,
    // but not while an earlier effect of its release is still being tried: through an outage of any
    // length, the note waits for its card.
    const exhausted = error instanceof EffectNotReadyError && row.attempts >= MAX_NOT_READY_ATTEMPTS && !(payload.releaseId && (await earlierUndone(ctx.db, payload.releaseId, outboxId)));
    const permanent = exhausted || error instanceof PermanentEffectError || (error as Error).name === 'PermanentSlackError';
    await failOutbox(ctx.db, outboxId, (error as Error).message, permanent);
    if (permanent && payload.releaseId && /^(jira|github)_/.test(row.kind)) {
      // The card says what Jira or GitHub refused, as `show` does.
      const ids = await enqueueOutbox(ctx.db, [{ kind: 'card', releaseId: payload.releaseId, dedupeKey: `card:${payload.releaseId}:sync-failed:${outboxId}`, payload: { releaseId: payload.releaseId } }], ctx.clock());
      await ctx.effects.dispatch(ids);
    }
    if (permanent) return 'failed';
    throw error;
  }
}

/** Posts a manual step's checklist in the card's thread (what the manual deployer is built with). */
export function checklistPoster(ctx: CoreContext, publisher: Publisher) {
  return async (releaseId: number, step: RolloutStep, retry: boolean): Promise<PostedRef> => {
    const release = await findRelease(ctx.db, releaseId);
    const card = postedCard(release);
    if (!release || !card) throw new EffectNotReadyError(`the card of release ${releaseId} is not posted yet`);
    return publisher.postChecklist(release, card, step, `checklist:${step.idempotencyKey}`, retry);
  };
}

/** Compares the plan's assets with the GitHub release's, records the outcome and wakes the rollout. */
async function checkAssets(ctx: CoreContext, ports: EffectPorts, releaseId: number): Promise<Record<string, unknown>> {
  const release = await findRelease(ctx.db, releaseId);
  if (!release?.assets?.length) return { skipped: 'no assets' };
  const repo = serviceOf(ctx.settings, release.service).githubRepo;
  let problem: string | null = null;
  if (!repo || !ports.codeHost) problem = 'release assets are listed but the service has no github_repo or GitHub is not configured';
  else {
    const tag = ctx.settings.githubTag.replace('{version}', release.version);
    // relm drafts the release itself on approval; the check waits for that rather than racing it.
    const draft = await findOutbox(ctx.db, `github:draft:${releaseId}:${release.version}`);
    if (draft && (draft.state === 'pending' || draft.state === 'sending')) throw new EffectNotReadyError('the GitHub draft release is not created yet');
    const draftId = (draft?.result as { id?: number } | null)?.id;
    const found = await ports.codeHost.releaseAssets(repo, { tag, ...(draftId ? { id: draftId } : {}) });
    if (!found) problem = `there is no GitHub release ${tag}`;
    else {
      for (const wanted of release.assets) {
        const asset = found.find((a) => a.name === wanted.name);
        if (!asset) problem = `asset ${wanted.name} is missing from GitHub release ${tag}`;
        else if (!asset.sha256) problem = `GitHub reports no sha256 digest for ${wanted.name}`;
        else if (asset.sha256 !== wanted.sha256) problem = `asset ${wanted.name} has sha256 ${asset.sha256.slice(0, 12)}…, not ${wanted.sha256.slice(0, 12)}… as planned`;
        if (problem) break;
      }
    }
  }
  const now = ctx.clock();
  await changeTransaction(ctx, async (trx) => {
    const current = await loadRelease(trx, releaseId, { lock: true });
    const updated = await trx
      .updateTable('releases')
      .set(problem ? { assets_problem: problem, rollout_note: null } : { assets_verified_at: now, assets_problem: null, rollout_note: null })
      .where('id', '=', releaseId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordChange(trx, { release: { ...current, rolloutNote: updated.rollout_note }, actor: 'relm', action: problem ? 'assets_problem' : 'assets_verified', after: { assets: current.assets?.map((a) => a.name), problem }, at: now, effects: [wakeEffect(releaseId, now)] });
  });
  return problem ? { problem } : { verified: release.assets.length };
}

/** The GitHub side of a release: draft on approval, publish on completion, a note on rollback. */
async function githubRelease(ctx: CoreContext, ports: EffectPorts, kind: string, releaseId: number, version: string | undefined): Promise<Record<string, unknown>> {
  if (!ports.codeHost) throw new PermanentEffectError('GitHub is not configured (GITHUB_TOKEN)');
  const release = await findRelease(ctx.db, releaseId);
  if (!release) throw new PermanentEffectError(`release ${releaseId} is gone`);
  const service = serviceOf(ctx.settings, release.service);
  if (!service.githubRepo) return { skipped: 'no github_repo' };
  const v = version ?? release.version;
  try {
    if (kind === 'github_draft') {
      const tag = ctx.settings.githubTag.replace('{version}', v);
      const body = [`${release.title}`, release.description, `Authorised in relm as ${releaseKey(release.id)} (${release.type}, risk ${release.risk}).`].filter(Boolean).join('\n\n');
      return { ...(await ports.codeHost.ensureDraftRelease(service.githubRepo, { tag, name: `${service.name} ${v}`, body })) };
    }
    const draft = await findOutbox(ctx.db, `github:draft:${releaseId}:${v}`);
    const id = (draft?.result as { id?: number } | null)?.id;
    if (!id) {
      if (draft && draft.state !== 'failed') throw new EffectNotReadyError('the GitHub draft release is not created yet');
      throw new PermanentEffectError('there is no GitHub release to update (its draft was never created)');
    }
    if (kind === 'github_publish') return { ...(await ports.codeHost.publishRelease(service.githubRepo, id)) };
    await ports.codeHost.annotateRelease(service.githubRepo, id, `> **Rolled back** on ${ctx.clock().toISOString().slice(0, 10)} (${releaseKey(release.id)} in relm).`);
    return { annotated: true };
  } catch (error) {
    if (error instanceof CodeHostRejectedError) throw new PermanentEffectError(error.message);
    throw error;
  }
}

/** Hands a step to its deployer; an immediate verdict is recorded at once, a later one by callback or button. */
async function deployStep(ctx: CoreContext, ports: EffectPorts, stepId: number, retry: boolean): Promise<Record<string, unknown>> {
  const step = await findStep(ctx.db, stepId);
  if (!step || step.state !== 'running') return { skipped: `step is ${step?.state ?? 'gone'}` };
  const release = (await findRelease(ctx.db, step.releaseId))!;
  const model = modelOf(ctx.settings, release);
  const deployer = ports.deployers[step.deployer];
  if (!deployer) {
    // The wave fails (and the rollout pauses, saying why) rather than waiting for ever.
    const hint = step.deployer === 'github' ? ' (set GITHUB_TOKEN)' : '';
    await completeStep(ctx, stepId, 'failed', 'relm', `no deployer named "${step.deployer}" is installed${hint}`);
    return { failed: 'no deployer' };
  }
  let started: DeployStarted;
  try {
    started = await deployer.start({ release, step, model, retry });
  } catch (error) {
    if (error instanceof DeployRejectedError) {
      await completeStep(ctx, stepId, 'failed', 'relm', error.message);
      return { rejected: error.message };
    }
    throw error;
  }
  if (started.status !== 'running') await completeStep(ctx, stepId, started.status, 'relm', started.detail ?? null);
  return { status: started.status, ...(started.ref ?? {}) };
}

async function cardOf(ctx: CoreContext, releaseId: number): Promise<PostedRef> {
  const release = await findRelease(ctx.db, releaseId);
  const card = postedCard(release);
  if (!card) throw new EffectNotReadyError(`the card of release ${releaseId} is not posted yet`);
  return card;
}

type EffectPayload = { releaseId: number; auditSeq?: number; auditSeqs?: number[]; revision?: number; outcome?: string; event?: string; stepId?: number; at?: string };

async function run(ctx: CoreContext, ports: EffectPorts, kind: string, key: string, payload: EffectPayload, retry: boolean): Promise<Record<string, unknown>> {
  const { publisher } = ports;
  switch (kind) {
    case 'card': {
      const current = await findRelease(ctx.db, payload.releaseId);
      if (!current) throw new PermanentEffectError(`release ${payload.releaseId} is gone`);
      if (!postedCard(current)) {
        // The first post is claimed with a marker (no transaction is held over the Slack call); a
        // marker older than the lease belongs to an attempt that died, and is taken over.
        const marker = `${POSTING}${Date.now()}`;
        const stale = current.cardTs?.startsWith(POSTING) && Date.now() - Number(current.cardTs.slice(POSTING.length)) > (ports.leaseMs ?? 60_000);
        if (current.cardTs && !stale) throw new EffectNotReadyError(`the card of release ${current.id} is being posted`);
        if (!(await claimCardPost(ctx.db, current.id, current.cardTs, marker))) throw new EffectNotReadyError(`the card of release ${current.id} is being posted`);
        const channel = current.cardChannel ?? serviceOf(ctx.settings, current.service).channel;
        const detail = await releaseDetail(ctx, payload.releaseId, ctx.db, { history: false });
        // Always look first: an attempt that died may have posted before it could record the card.
        let ref: PostedRef;
        try {
          ref = await publisher.upsertCard({ ...detail, release: { ...detail.release, cardChannel: channel } }, null, `card:${current.id}`, true);
        } catch (error) {
          // Give the marker back so the retry (or another card effect) can post at once.
          await claimCardPost(ctx.db, current.id, marker, null);
          throw error;
        }
        await setCard(ctx.db, current.id, ref.channel, ref.ts);
        return { ...ref };
      }
      // Updates hold no lock: an update that rendered an older state than the newest is simply run again,
      // so whichever finishes last, the card shows the latest.
      const card = postedCard(current)!;
      for (let round = 0; round < 5; round++) {
        const rendered = await latestAuditSeq(ctx.db, payload.releaseId);
        await publisher.upsertCard(await releaseDetail(ctx, payload.releaseId, ctx.db, { history: false }), card, `card:${current.id}`, false);
        if ((await latestAuditSeq(ctx.db, payload.releaseId)) <= rendered) break;
      }
      return { ...card };
    }
    case 'thread_note': {
      const release = await findRelease(ctx.db, payload.releaseId);
      if (!release) throw new PermanentEffectError(`release ${payload.releaseId} is gone`);
      const card = postedCard(release);
      if (!card) throw new EffectNotReadyError(`the card of release ${payload.releaseId} is not posted yet`);
      const seqs = payload.auditSeqs ?? (payload.auditSeq !== undefined ? [payload.auditSeq] : []);
      const entries = await auditEntries(ctx.db, payload.releaseId, seqs);
      if (entries.length === 0) throw new PermanentEffectError(`audit entries ${seqs.join(', ')} are not in release ${payload.releaseId}'s history`);
      return { ...(await publisher.postThreadNote(release, card, entries, key, retry)) };
    }
    case 'approval_request': {
      const detail = await releaseDetail(ctx, payload.releaseId, ctx.db, { history: false });
      return { ...(await publisher.postApprovalRequest(detail, await cardOf(ctx, payload.releaseId), key, retry)) };
    }
    case 'approval_request_closed': {
      const request = await findOutbox(ctx.db, `approval_request:${payload.releaseId}:${payload.revision}`);
      if (!request) return { skipped: 'no request was posted' };
      if (request.state !== 'done' || !request.result) throw new EffectNotReadyError('the approval request is not posted yet');
      const detail = await releaseDetail(ctx, payload.releaseId, ctx.db, { history: false });
      await publisher.closeApprovalRequest(detail, request.result as unknown as PostedRef, payload.revision!, payload.outcome ?? 'closed');
      return { closed: true };
    }
    case 'announce': {
      const detail = await releaseDetail(ctx, payload.releaseId, ctx.db, { history: false });
      return { ...(await publisher.announce(detail, await cardOf(ctx, payload.releaseId), payload.event ?? 'update', key, retry)) };
    }
    case 'alert':
      return { ...(await publisher.postAlert(payload as unknown as Alert, key, retry)) };
    case 'jira_raise':
    case 'jira_transition':
    case 'jira_comment':
    case 'jira_update':
      return jiraTicket(ctx, ports, kind, payload as JiraPayload);
    case 'jira_incident_link':
      return incidentFromJira(ctx, ports, payload as unknown as { releaseId: number; issueId: string });
    case 'github_assets':
      return checkAssets(ctx, ports, payload.releaseId);
    case 'github_draft':
    case 'github_publish':
    case 'github_rolled_back':
      return githubRelease(ctx, ports, kind, payload.releaseId, (payload as { version?: string }).version);
    case 'wake':
      await ports.waker.wakeAt(payload.releaseId, new Date(payload.at!));
      return { woken: payload.at };
    case 'deploy_step':
      return deployStep(ctx, ports, payload.stepId!, retry);
    case 'github_poll':
      return pollGitHubDeployments(ctx, ports.deploymentHost, payload.stepId!);
    case 'verify_step': {
      const step = await findStep(ctx.db, payload.stepId!);
      const release = await findRelease(ctx.db, payload.releaseId);
      const wave = step && release ? wavesOf(ctx.settings, release)[step.waveIndex] : undefined;
      if (!step || step.state !== 'verifying' || !wave?.verify) return { skipped: 'not verifying' };
      const answer = await ports.verifier.check(wave.verify.url, wave.verify.expect);
      await recordVerification(ctx, step.id, answer.passed, answer.detail);
      return { ...answer };
    }
    case 'checklist_refresh': {
      const step = await findStep(ctx.db, payload.stepId!);
      const posted = step ? await findOutbox(ctx.db, `deploy:${step.idempotencyKey}`) : undefined;
      const ref = (posted?.result as { checklist?: PostedRef } | null)?.checklist;
      if (!step || !ref) throw new EffectNotReadyError('the checklist is not posted yet');
      const release = (await findRelease(ctx.db, payload.releaseId))!;
      await publisher.updateChecklist(release, ref, step, await ticksOf(ctx.db, step.id));
      return { refreshed: true };
    }
    default:
      throw new PermanentEffectError(`unknown effect kind "${kind}"`);
  }
}
