import type { Transaction } from 'kysely';
import type { DB, ReleaseRow, StepRow } from '../../../store/schema.ts';
import type { Decision } from '../../approvals.ts';
import type { CoreContext } from '../../context.ts';
import { DomainError } from '../../errors.ts';
import { transition } from '../../lifecycle.ts';
import { releaseKey, type StoredRelease } from '../../release.ts';
import { modelOf, wavesOf, type RolloutStep, type StepState } from '../../rollout.ts';
import { enqueueOutboxByRelease } from '../../../store/repositories/outbox.ts';
import { existingReleaseIds, toRelease } from '../../../store/repositories/releases.ts';
import { toStep } from '../../../store/repositories/steps.ts';
import { lockForTicks, StepIdPool, writeTicks } from '../../../store/repositories/rollout-batch.ts';
import { changeTransaction, changesMark, recordChange, snapshot } from '../record-change.ts';
import { approvalRequestEffect } from '../submit.ts';
import { deployEffect, githubEffects, verifyEffect, wakeEffect } from './effects.ts';
import { authorisationFrom, blockingRollouts, lockDecision, slotFor, wakeWaitingFor, type Authorisation } from './gate.ts';
import { activeLocks } from '../../../store/repositories/deploy-locks.ts';
import { lockRolloutStarts, rolloutsUnderWay, type CalendarRelease } from '../../../store/repositories/releases.ts';
import { policyOf } from '../../settings.ts';
import { lockText, type DeployLock } from '../../locks.ts';
import { isReleaseManager } from '../access.ts';
import { conflictsForRelease, otherCards } from '../conflicts.ts';
import { timeMark } from '../../text.ts';
import type { OutboxMessage } from '../../effect.ts';
import { bundleLetsStart, memberAhead, progressOf } from '../../bundles.ts';
import { bundleOfRelease } from '../../../store/repositories/bundles.ts';
import { bundleCardEffect, bundleSyncEffect, bundleSyncFor } from '../bundle-sync-effect.ts';

const ACTOR = 'relm';


/**
 * One release's tick, worked out in memory over what was read under its row lock; what it decides
 * is written for the whole batch at once (writeTicks), and its audit entries and effects at commit.
 */
interface Tick {
  trx: Transaction<DB>;
  ctx: CoreContext;
  now: Date;
  ids: StepIdPool;
  loaded: ReleaseRow;
  row: ReleaseRow;
  release: StoredRelease;
  decisions: Decision[];
  /** Every step of the release in id order: as loaded, as changed, and any created in this tick. */
  steps: { before: StepRow | undefined; row: StepRow }[];
  outbox: OutboxMessage[];
  /** The authorisation checked earlier in this tick, reused for the rest of it. */
  auth?: Authorisation;
  /** What the whole batch reads once: the deploy locks in force and the rollouts under way. */
  batch: BatchGate;
}

/**
 * The locks in force and the rollouts under way, read once per batch when a tick first needs them
 * (one statement each however many releases the batch ticks); a rollout that starts in this batch is
 * added, so two conflicting releases due in the same batch do not both start.
 */
class BatchGate {
  readonly #trx: Transaction<DB>;
  readonly #now: Date;
  #locks?: Promise<DeployLock[]>;
  #underWay?: Promise<CalendarRelease[]>;

  constructor(trx: Transaction<DB>, now: Date) {
    this.#trx = trx;
    this.#now = now;
  }

  locks(): Promise<DeployLock[]> {
    this.#locks ??= activeLocks(this.#trx, this.#now);
    return this.#locks;
  }

  /** Read once, under the rollout-starts lock (taken only by batches that may have to wait on a conflict). */
  underWay(): Promise<CalendarRelease[]> {
    // Starts earlier in this batch are not written yet (writeTicks comes at the end): they are added.
    this.#underWay ??= lockRolloutStarts(this.#trx)
      .then(() => rolloutsUnderWay(this.#trx))
      .then((list) => [...list, ...this.#startedHere.filter((r) => !list.some((l) => l.id === r.id))]);
    return this.#underWay;
  }

  readonly #startedHere: StoredRelease[] = [];

  /** A first wave started in this batch: the later ticks of the batch see it under way. */
  async started(release: StoredRelease): Promise<void> {
    this.#startedHere.push(release);
    if (!this.#underWay) return;
    const list = await this.#underWay;
    if (!list.some((r) => r.id === release.id)) list.push(release);
  }
}

function authorised(t: Tick): Authorisation {
  t.auth ??= authorisationFrom(t.ctx, t.release, t.decisions, t.now);
  return t.auth;
}

async function change(t: Tick, action: string, after: Record<string, unknown>, effects: OutboxMessage[] = [], before?: unknown): Promise<void> {
  await recordChange(t.trx, { release: t.release, actor: ACTOR, action, before, after, at: t.now, effects });
}

function patchRelease(t: Tick, columns: Partial<ReleaseRow>): void {
  t.row = { ...t.row, ...columns };
  t.release = toRelease(t.row);
}

function setNote(t: Tick, note: string | null, extra: Partial<ReleaseRow> = {}): void {
  patchRelease(t, { rollout_note: note, updated_at: t.now, ...extra });
}

/** Moves the release itself; the batch holds its row lock. */
async function moveRelease(t: Tick, event: Parameters<typeof transition>[1], action: string, columns: Partial<ReleaseRow>, effects: OutboxMessage[] = []): Promise<void> {
  const before = t.release;
  patchRelease(t, { state: transition(before, event), updated_at: t.now, ...columns });
  await change(t, action, snapshot(t.release), effects, snapshot(before));
}

function stepsOf(t: Tick): RolloutStep[] {
  return t.steps.map((s) => toStep(s.row));
}

/** Compare-and-set on a step's state, in memory: only a step still in `from` moves. */
function updateStepIf(t: Tick, id: number, from: StepState, changes: Partial<StepRow>): RolloutStep | undefined {
  const entry = t.steps.find((s) => s.row.id === id);
  if (!entry || entry.row.state !== from) return undefined;
  entry.row = { ...entry.row, ...changes };
  return toStep(entry.row);
}

type NewStep = Pick<RolloutStep, 'releaseId' | 'kind' | 'waveIndex' | 'waveName' | 'try' | 'targets' | 'deployer' | 'checklist' | 'dueAt'>;

async function createStep(t: Tick, step: NewStep): Promise<RolloutStep> {
  const row: StepRow = {
    id: await t.ids.take(),
    release_id: step.releaseId,
    kind: step.kind,
    wave_index: step.waveIndex,
    wave_name: step.waveName,
    try: step.try,
    targets: step.targets,
    deployer: step.deployer,
    checklist: step.checklist,
    state: 'pending',
    idempotency_key: `rel-${step.releaseId}-${step.kind}-w${step.waveIndex}-t${step.try}`,
    due_at: step.dueAt,
    started_at: null,
    finished_at: null,
    bake_until: null,
    verify_deadline: null,
    error: null,
    reported_by: null,
    created_at: t.now,
  };
  t.steps.push({ before: undefined, row });
  return toStep(row);
}

/** The waves still to roll back, newest first: every deploy wave that started. */
function rollbackOrder(steps: RolloutStep[]): number[] {
  const started = steps.filter((s) => s.kind === 'deploy' && s.startedAt !== null).map((s) => s.waveIndex);
  return [...new Set(started)].sort((a, b) => b - a);
}

/** The next try of a step: one more than any try so far, cancelled ones included (their keys are taken). */
function nextTry(all: RolloutStep[], kind: RolloutStep['kind'], waveIndex: number): number {
  return Math.max(0, ...all.filter((s) => s.kind === kind && s.waveIndex === waveIndex).map((s) => s.try)) + 1;
}

/**
 * Creates the step to run next, reading every step so far (cancelled ones too): a wave cancelled
 * mid-flight by a rollback is still rolled back, and a new try never collides with an old one's key.
 */
async function nextStep(t: Tick, all: RolloutStep[]): Promise<RolloutStep | 'done'> {
  const waves = wavesOf(t.ctx.settings, t.release);
  const model = modelOf(t.ctx.settings, t.release);
  let create: NewStep;
  if (t.release.rolloutDirection === 'forward') {
    const finished = all.filter((s) => s.kind === 'deploy' && (s.state === 'succeeded' || s.state === 'skipped'));
    const index = finished.length ? Math.max(...finished.map((s) => s.waveIndex)) + 1 : 0;
    if (index >= waves.length) return 'done';
    const wave = waves[index]!;
    create = { releaseId: t.release.id, kind: 'deploy', waveIndex: index, waveName: wave.name, try: nextTry(all, 'deploy', index), targets: wave.targets, deployer: model.deployer, checklist: wave.checklist, dueAt: t.now };
  } else {
    const done = new Set(all.filter((s) => s.kind === 'rollback' && (s.state === 'succeeded' || s.state === 'skipped')).map((s) => s.waveIndex));
    const index = rollbackOrder(all).find((i) => !done.has(i));
    if (index === undefined) return 'done';
    const wave = waves[index];
    const checklist = wave?.rollback.length ? wave.rollback : [`Roll back ${(wave?.targets ?? []).join(', ')} to the previous version`];
    create = { releaseId: t.release.id, kind: 'rollback', waveIndex: index, waveName: wave?.name ?? `wave ${index + 1}`, try: nextTry(all, 'rollback', index), targets: wave?.targets ?? [], deployer: model.deployer, checklist, dueAt: t.now };
  }
  return createStep(t, create);
}

/**
 * A member of a bundle starts only in its turn, once the bundle may run (approved and due, or started);
 * otherwise it waits, saying for what. Returns the bundle's id when the member may start now, `held`
 * when it must wait, and null when the release is in no bundle.
 */
async function bundleGate(t: Tick): Promise<number | 'held' | null> {
  const of = await bundleOfRelease(t.trx, t.release.id);
  if (!of) return null;
  const { bundle } = of;
  const key = `BUN-${bundle.id}`;
  let note: string | null = null;
  let wakeAt: Date | null = null;
  if (!bundleLetsStart(bundle, t.now)) {
    if (bundle.state === 'open') note = `Waits for ${key} “${bundle.name}” to be approved: one approval covers the bundle.`;
    else if (bundle.state === 'approved' && bundle.plannedStart) {
      note = `Waits for ${key} “${bundle.name}” to start at ${timeMark(bundle.plannedStart)}.`;
      wakeAt = bundle.plannedStart;
    } else if (bundle.state === 'approved') note = `Waits for ${key} “${bundle.name}” to be started: \`/release bundle start ${key}\`.`;
    else note = `Waits: ${key} “${bundle.name}” is ${bundle.state.replace('_', ' ')}.`;
  } else {
    const ahead = memberAhead(progressOf(of.members), t.release.id);
    if (ahead) note = `Waits for ${releaseKey(ahead.releaseId)}, before it in ${key} “${bundle.name}”, to finish.`;
  }
  if (note === null) return bundle.id;
  if (t.release.rolloutNote !== note) {
    setNote(t, note);
    if (wakeAt) t.outbox.push(wakeEffect(t.release.id, wakeAt));
  }
  return 'held';
}

async function finish(t: Tick): Promise<void> {
  // Rollouts waiting to start behind this one may go now, and the cards that showed it overlapping stop.
  t.outbox.push(...(await wakeWaitingFor(t.ctx, t.trx, t.release, t.now)), ...otherCards(t.release.id, await conflictsForRelease(t.ctx, t.trx, t.release), [], t.now));
  // A bundle it is in starts its next member, or rolls back the one before it, or finishes.
  t.outbox.push(...(await bundleSyncFor(t.trx, t.release.id, t.release.rolloutDirection === 'forward' ? 'completed' : 'rolled-back', t.now)));
  if (t.release.rolloutDirection === 'forward') {
    await moveRelease(t, 'complete', 'rollout_completed', { finished_at: t.now, rollout_note: null }, [
      { kind: 'announce', releaseId: t.release.id, dedupeKey: `announce:completed:${t.release.id}`, payload: { releaseId: t.release.id, event: 'completed' } },
      ...githubEffects(t.ctx, t.release, 'publish'),
    ]);
  } else {
    await moveRelease(t, 'rollback', 'rolled_back', { finished_at: t.now, rollout_note: null }, [
      { kind: 'announce', releaseId: t.release.id, dedupeKey: `announce:rolled_back:${t.release.id}`, payload: { releaseId: t.release.id, event: 'rolled_back' } },
      ...githubEffects(t.ctx, t.release, 'rolled_back'),
    ]);
  }
}

/** Starts a pending step if the calendar and the approvals allow it now; otherwise says why and waits. */
async function startStep(t: Tick, step: RolloutStep): Promise<'started' | 'waiting'> {
  if (step.kind === 'deploy' && step.waveIndex === 0 && t.release.assets?.length && !t.release.assetsVerifiedAt) {
    // The correct version, clearly marked, in time: the plan's assets must be on the GitHub release first.
    const problem = t.release.assetsProblem ?? (t.ctx.github ? null : 'release assets are listed but GitHub is not configured (GITHUB_TOKEN)');
    if (problem) {
      await moveRelease(t, 'pause', 'rollout_paused', { rollout_note: `Paused before ${step.waveName}: ${problem}. Fix the release and resume.` });
      return 'waiting';
    }
    const note = 'Checking the release assets on GitHub before the first wave.';
    if (t.release.rolloutNote !== note) {
      setNote(t, note);
      t.outbox.push(...[{ kind: 'github_assets', releaseId: t.release.id, dedupeKey: `github:assets:${t.release.id}:${t.now.getTime()}`, payload: { releaseId: t.release.id } }]);
    }
    return 'waiting';
  }
  if (step.kind === 'deploy') {
    const auth = authorised(t);
    if (!auth.ok) {
      await moveRelease(t, 'pause', 'rollout_paused', { rollout_note: `Paused before ${step.waveName}: ${auth.reason}. Roll back, or abort and plan again.` });
      return 'waiting';
    }
    const locks = lockDecision(t.ctx, t.release, step.targets, await t.batch.locks());
    if (locks.held.length && !locks.passes) {
      const until = new Date(Math.min(...locks.held.map((l) => l.expiresAt.getTime())));
      const note = `${step.waveName} waits for the deploy lock: ${locks.held.map(lockText).join('; ')}`;
      if (t.release.rolloutNote !== note) {
        setNote(t, note);
        await change(t, 'wave_waiting', { wave: step.waveName, until: until.toISOString(), reason: 'lock', locks: locks.held.map((l) => l.id) }, [wakeEffect(t.release.id, until)]);
      }
      return 'waiting';
    }
    const first = !stepsOf(t).some((s) => s.startedAt !== null);
    const waits = first && policyOf(t.ctx.settings, t.release.service).conflicts === 'wait';
    const blocking = waits ? blockingRollouts(t.ctx, t.release, await t.batch.underWay()) : [];
    const forced = blocking.length > 0 && t.release.forcedBy !== null && isReleaseManager(t.ctx.settings, t.release.forcedBy);
    if (blocking.length && !forced) {
      const note = `${step.waveName} waits for ${blocking.map((b) => `${releaseKey(b.id)} (${b.service} ${b.version}, rolling out)`).join(', ')} to finish; a release manager can start it now with \`/release start ${releaseKey(t.release.id)} --force\`.`;
      if (t.release.rolloutNote !== note) {
        setNote(t, note);
        await change(t, 'wave_waiting', { wave: step.waveName, reason: 'conflict', rollouts: blocking.map((b) => b.id) });
      }
      return 'waiting';
    }
    const slot = slotFor(t.ctx, t.release, t.now);
    if (!slot.check.allowed && !slot.bypassed) {
      if (!slot.next) {
        await moveRelease(t, 'pause', 'rollout_paused', { rollout_note: `Paused before ${step.waveName}: no change window is open within 120 days.` });
        return 'waiting';
      }
      const why = slot.check.reason === 'freeze' ? `the freeze "${slot.check.freeze.reason}"` : 'the change windows';
      const note = `${step.waveName} waits for ${why}: next slot ${timeMark(slot.next)}`;
      if (t.release.rolloutNote !== note) {
        setNote(t, note);
        await change(t, 'wave_waiting', { wave: step.waveName, until: slot.next.toISOString(), reason: slot.check.reason }, [wakeEffect(t.release.id, slot.next)]);
      }
      return 'waiting';
    }
    if (slot.bypassed && !t.release.bypassedFreeze) {
      setNote(t, null, { bypassed_freeze: true });
      await change(t, 'freeze_bypassed', { wave: step.waveName, reason: slot.check.allowed ? null : slot.check.reason, approvers: auth.approvers });
    }
  }
  const started = updateStepIf(t, step.id, 'pending', { state: 'running', started_at: t.now });
  if (!started) return 'waiting';
  if (step.kind === 'deploy' && t.ctx.telemetry) {
    // Due at the planned start (the first wave) or when the wave before finished baking.
    const before = stepsOf(t).filter((s) => s.kind === 'deploy' && s.waveIndex === step.waveIndex - 1 && s.state === 'succeeded').at(-1);
    const due = step.waveIndex === 0 ? t.release.plannedStart : (before?.bakeUntil ?? before?.finishedAt ?? null);
    if (due) t.ctx.telemetry.stepStarted('deploy', t.now.getTime() - due.getTime());
  }
  if (t.release.rolloutNote) setNote(t, null);
  if (step.kind === 'deploy') {
    const passed = lockDecision(t.ctx, t.release, step.targets, await t.batch.locks());
    if (passed.passes) await change(t, 'lock_passed', { wave: step.waveName, type: t.release.type, locks: passed.held.map((l) => ({ id: l.id, reason: l.reason, lockedBy: l.lockedBy })) });
    const first = !stepsOf(t).some((s) => s.startedAt !== null && s.id !== step.id);
    if (first) {
      if (t.release.forcedBy !== null && policyOf(t.ctx.settings, t.release.service).conflicts === 'wait') {
        const blocking = blockingRollouts(t.ctx, t.release, await t.batch.underWay());
        if (blocking.length) await change(t, 'conflict_overridden', { wave: step.waveName, forcedBy: t.release.forcedBy, rollouts: blocking.map((b) => b.id) });
      }
      await t.batch.started(t.release);
    }
  }
  await change(t, step.kind === 'deploy' ? 'wave_started' : 'rollback_started', { wave: step.waveName, targets: step.targets, try: step.try }, [deployEffect(started)]);
  if (started.deployer === 'github') pollGitHub(t, started);
  return 'started';
}

async function tick(t: Tick): Promise<void> {
  if (t.release.state === 'scheduled') {
    if (t.release.plannedStart && t.release.plannedStart > t.now) {
      t.outbox.push(wakeEffect(t.release.id, t.release.plannedStart));
      return;
    }
    const bundle = await bundleGate(t);
    if (bundle === 'held') return;
    const auth = authorised(t);
    if (!auth.ok) {
      // Lapsed before the rollout began: ask again, on a new revision so earlier approvers can decide afresh.
      await moveRelease(t, 'replan', 'reapproval_needed', { revision: t.release.revision + 1, rollout_note: `Approval needed again: ${auth.reason}.` });
      await change(t, 'submitted', { revision: t.release.revision, reason: auth.reason }, [approvalRequestEffect(t.release)]);
      return;
    }
    await moveRelease(t, 'start', 'rollout_started', { started_at: t.now, rollout_note: null }, bundle === null ? [] : [bundleSyncEffect(bundle, `rel-${t.release.id}-started`, t.now), bundleCardEffect(bundle, `rel-${t.release.id}-started`, t.now)]);
  } else if (t.release.state === 'approved') {
    // An approved release without a planned start waits for `start`, unless its bundle starts it in turn.
    const bundle = await bundleGate(t);
    if (bundle === null || bundle === 'held') return;
    const auth = authorised(t);
    if (!auth.ok) return;
    await moveRelease(t, 'start', 'rollout_started', { started_at: t.now, rollout_note: null }, [bundleSyncEffect(bundle, `rel-${t.release.id}-started`, t.now), bundleCardEffect(bundle, `rel-${t.release.id}-started`, t.now)]);
  }
  if (t.release.state !== 'in_progress') return;

  let created: RolloutStep | undefined;
  for (let guard = 0; guard < 50; guard++) {
    const all = created ? [] : stepsOf(t);
    const live = all.filter((s) => s.state !== 'cancelled');
    const current = created ?? [...live].reverse().find((s) => s.kind === (t.release.rolloutDirection === 'forward' ? 'deploy' : 'rollback'));
    created = undefined;
    if (!current || current.state === 'succeeded' || current.state === 'skipped') {
      const next = await nextStep(t, all);
      if (next === 'done') return finish(t);
      // A step just created is pending: go straight to starting it.
      if (next.state === 'pending') created = next;
      continue;
    }
    switch (current.state) {
      case 'pending':
        if ((await startStep(t, current)) === 'waiting') return;
        return;
      case 'baking':
        if (current.bakeUntil && current.bakeUntil > t.now) {
          t.outbox.push(wakeEffect(t.release.id, current.bakeUntil));
          return;
        }
        updateStepIf(t, current.id, 'baking', { state: 'succeeded', finished_at: t.now });
        await change(t, 'wave_completed', { wave: current.waveName, baked: true });
        continue;
      case 'verifying':
        t.outbox.push(verifyEffect(current, t.now));
        return;
      case 'running':
        // The deployer will report; a github step is also polled, in case its webhooks never come.
        if (current.deployer === 'github') pollGitHub(t, current);
        return;
      default:
        // failed: the release is paused and waits for a decision
        return;
    }
  }
  throw new Error(`the rollout of release ${t.release.id} did not settle within one tick`);
}

/** Asks GitHub for the step's deployment states every `github.poll`, and wakes again for the next time. */
function pollGitHub(t: Tick, step: RolloutStep): void {
  const github = modelOf(t.ctx.settings, t.release).github;
  if (!github || !step.startedAt) return;
  const elapsed = t.now.getTime() - step.startedAt.getTime();
  const round = Math.floor(elapsed / github.pollMs);
  if (round >= 1) t.outbox.push({ kind: 'github_poll', releaseId: t.release.id, dedupeKey: `github:poll:${step.id}:${round}`, payload: { releaseId: t.release.id, stepId: step.id } });
  // Past the timeout the poll fails the step; until then, one wake-up per round.
  if (elapsed < github.timeoutMs + github.pollMs) t.outbox.push(wakeEffect(t.release.id, new Date(step.startedAt.getTime() + (round + 1) * github.pollMs)));
}

/** What a batch of ticks came to: each release as its tick left it, the ticks that threw, and the releases another transaction held. */
export interface TickOutcome {
  releases: Map<number, StoredRelease>;
  failed: Map<number, unknown>;
  busy: number[];
}

/**
 * Ticks of many releases at once, in one transaction: the rows are locked and read in a few
 * statements, each release's tick is worked out in memory, and what they decided is written in a
 * few more. This is what lets a thousand waves due in the same second all start within it. A tick
 * that throws is left out (its changes dropped, its error in `failed`) without undoing the others.
 * With `skipLocked`, releases locked elsewhere are not waited for but returned in `busy`; releases
 * that do not exist are in none of the three.
 */
export async function advanceRollouts(ctx: CoreContext, releaseIds: number[], options: { skipLocked?: boolean } = {}): Promise<TickOutcome> {
  const ids = [...new Set(releaseIds)];
  const result = await changeTransaction(ctx, async (trx) => {
    const loaded = await lockForTicks(trx, ids, options);
    // Read after the locks: the calendar and approval expiry are judged at the moment the tick runs.
    const now = ctx.clock();
    const missing = ids.filter((id) => !loaded.has(id));
    const busy = options.skipLocked ? await existingReleaseIds(trx, missing) : [];
    const pool = new StepIdPool(trx);
    const batch = new BatchGate(trx, now);
    // Roughly one new step per live rollout; more are drawn if a tick needs them.
    await pool.reserve([...loaded.values()].filter((l) => l.release.state === 'scheduled' || l.release.state === 'in_progress').length);
    const ticks: Tick[] = [];
    const failed = new Map<number, unknown>();
    for (const { release, steps, decisions } of loaded.values()) {
      const t: Tick = { trx, ctx, now, ids: pool, loaded: release, row: release, release: toRelease(release), decisions, steps: steps.map((row) => ({ before: row, row })), outbox: [], batch };
      const mark = changesMark(trx);
      try {
        await tick(t);
        ticks.push(t);
      } catch (error) {
        mark.rollback();
        failed.set(release.id, error);
      }
    }
    await writeTicks(trx, { releases: ticks.map((t) => ({ before: t.loaded, after: t.row })), steps: ticks.flatMap((t) => t.steps.map((s) => ({ before: s.before, after: s.row }))) });
    const outbox = await enqueueOutboxByRelease(trx, ticks.flatMap((t) => t.outbox), now);
    return { releases: new Map(ticks.map((t) => [t.release.id, t.release])), failed, busy, outbox };
  });
  await ctx.effects.dispatch(result.outbox);
  return { releases: result.releases, failed: result.failed, busy: result.busy };
}

/**
 * One step of a release's rollout, run whenever something may have changed: a due time, a bake
 * ending, a deployer's result, a control command. Idempotent: it reads the state under the release's
 * row lock and does only what is due, so duplicate wake-ups and concurrent workers are harmless.
 */
export async function advanceRollout(ctx: CoreContext, releaseId: number): Promise<StoredRelease> {
  const outcome = await advanceRollouts(ctx, [releaseId]);
  if (outcome.failed.has(releaseId)) throw outcome.failed.get(releaseId);
  const release = outcome.releases.get(releaseId);
  if (!release) throw new DomainError('not_found', `${releaseKey(releaseId)} does not exist. Try \`/release list\`.`);
  return release;
}
