import type { CoreContext } from '../context.ts';
import type { CodeHost, DeploymentGate } from '../ports/code-host.ts';

/** Reads the commit a ref (the release's tag) points at in a repository. */
export type CommitReader = (repo: string, ref: string) => Promise<string | undefined>;
import { policyOf } from '../settings.ts';
import { fragment } from '../text.ts';
import { releaseKey, type StoredRelease } from '../release.ts';
import { authorisation, lockDecision, slotFor } from './rollout/gate.ts';
import { appendAuditEntries, auditEntryWith } from '../../store/repositories/audit.ts';
import { firstDelivery } from '../../store/repositories/deliveries.ts';
import { enqueueOutbox } from '../../store/repositories/outbox.ts';
import { listReleases } from '../../store/repositories/releases.ts';
import { activeLocks } from '../../store/repositories/deploy-locks.ts';

/** A `deployment_protection_rule` request from GitHub: a job that references a protected environment waits for relm's answer. */
export interface ProtectionRequest {
  /** The X-GitHub-Delivery id: one answer per delivery. */
  delivery: string;
  repo: string;
  installationId: number;
  runId: number;
  environment: string;
  ref: string | null;
  sha: string | null;
}

export interface ProtectionDecision {
  state: 'approved' | 'rejected';
  /** Why, and what would authorise it, for the people watching the run on GitHub (plain text). */
  comment: string;
  service: string | null;
  releaseId: number | null;
}

export const PROTECTION_ACTION = 'deployment_protection';

/** Releases still authorised to go out: approved and not yet done, cancelled, rejected or replaced by a newer plan. */
const LIVE = ['approved', 'scheduled', 'in_progress', 'paused'] as const;

/** The run id in a `deployment_callback_url` (…/actions/runs/{run_id}/deployment_protection_rule). */
export function runIdOf(callbackUrl: string): number | undefined {
  const match = /\/actions\/runs\/(\d+)\/deployment_protection_rule\/?$/.exec(new URL(callbackUrl, 'https://x').pathname);
  return match ? Number(match[1]) : undefined;
}

/**
 * Takes one protection-rule request: marked as delivered and queued for its answer in one transaction,
 * so a replayed delivery is answered once and a failure before commit lets GitHub's redelivery in.
 */
export async function requestProtectionReview(ctx: CoreContext, request: ProtectionRequest, deliveryKey: string): Promise<{ duplicate: boolean }> {
  const now = ctx.clock();
  const ids = await ctx.db.transaction().execute(async (trx) => {
    if (!(await firstDelivery(trx, deliveryKey, now))) return undefined;
    return enqueueOutbox(trx, [{ kind: 'deployment_review', releaseId: null, dedupeKey: `deployment_review:${request.delivery}`, payload: { ...request } }], now);
  });
  if (!ids) return { duplicate: true };
  await ctx.effects.dispatch(ids);
  return { duplicate: false };
}

function short(sha: string | null): string {
  return sha ? sha.slice(0, 7) : '';
}

function sameCommit(a: string, b: string): boolean {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x.length >= 7 && y.length >= 7 && (x.startsWith(y) || y.startsWith(x));
}

/** Whether the job's ref names `release`: its tag (`github.tag`) or its version. */
function namedBy(ctx: CoreContext, release: StoredRelease, request: ProtectionRequest): boolean {
  const ref = request.ref?.replace(/^refs\/tags\//, '');
  return Boolean(ref && (ref === ctx.settings.githubTag.replace('{version}', release.version) || ref === release.version));
}

/**
 * The release the job would deploy. With a sha (every Actions job has one), the commit the release's
 * tag points at must be that sha, so a job on a branch or on a moved tag is not taken at its name;
 * releases the ref names are tried first. Without a sha, the ref must name the release.
 */
async function coveringRelease(ctx: CoreContext, commitOf: CommitReader, repo: string, candidates: StoredRelease[], request: ProtectionRequest): Promise<StoredRelease | undefined> {
  if (!request.sha) return candidates.find((r) => namedBy(ctx, r, request));
  const ordered = [...candidates.filter((r) => namedBy(ctx, r, request)), ...candidates.filter((r) => !namedBy(ctx, r, request))];
  for (const release of ordered) {
    const sha = await commitOf(repo, ctx.settings.githubTag.replace('{version}', release.version));
    if (sha !== undefined && sameCommit(sha, request.sha)) return release;
  }
  return undefined;
}

/**
 * relm's judgement on one request: approved only when an authorised release of the repository's
 * service covers the ref or sha, and its policy's windows, freezes and the deploy locks on the
 * environment allow it now. The same checks a rollout's wave passes.
 */
export async function decideProtection(ctx: CoreContext, commitOf: CommitReader, request: ProtectionRequest): Promise<ProtectionDecision> {
  const service = Object.values(ctx.settings.services).find((s) => s.githubRepo?.toLowerCase() === request.repo.toLowerCase());
  const what = request.ref && request.sha ? `${request.ref} (${short(request.sha)})` : request.ref ?? short(request.sha);
  if (!service) {
    return { state: 'rejected', service: null, releaseId: null, comment: `relm knows no service whose github_repo is ${request.repo}, so nothing authorises ${what}: add the service to relm.yml with github_repo: ${request.repo}.` };
  }
  const reject = (comment: string, release?: StoredRelease): ProtectionDecision => ({ state: 'rejected', service: service.key, releaseId: release?.id ?? null, comment });
  const candidates = await listReleases(ctx.db, { service: service.key, states: [...LIVE], limit: 100 });
  const release = await coveringRelease(ctx, commitOf, request.repo, candidates, request);
  if (!release) {
    return reject(`No approved release of ${service.key} covers ${what}; plan and approve one: /release new ${service.key} <version> (its tag ${ctx.settings.githubTag} must point at ${short(request.sha) || what}), then submit and approve it.`);
  }
  const key = releaseKey(release.id);
  const now = ctx.clock();
  const auth = await authorisation(ctx, ctx.db, release, now);
  if (!auth.ok) return reject(`${key} (${service.key} ${release.version}) covers ${what} but is not authorised: ${auth.reason}. Approve it: /release approve ${key}.`, release);
  const slot = slotFor(ctx, release, now);
  if (!slot.check.allowed && !slot.bypassed) {
    const next = slot.next ? ` The next allowed moment is ${slot.next.toISOString()}; re-run the job then.` : '';
    if (slot.check.reason === 'freeze') {
      const f = slot.check.freeze;
      return reject(`${key} is approved, but ${service.key} is in a freeze (${fragment(f.reason, 200)}, ${f.from} to ${f.to}).${next} An emergency release whose policy bypasses freezes would authorise it.`, release);
    }
    const windows = policyOf(ctx.settings, service.key).calendar.windows.map((w) => w.text).join(', ');
    return reject(`${key} is approved, but now is outside ${service.key}'s change windows (${windows}, ${policyOf(ctx.settings, service.key).calendar.timezone}).${next}`, release);
  }
  const locks = lockDecision(ctx, release, [request.environment], await activeLocks(ctx.db, now, service.key));
  if (locks.held.length && !locks.passes) {
    const lock = locks.held[0]!;
    const where = lock.targets.length ? `${service.key} (${lock.targets.join(', ')})` : service.key;
    return reject(`${key} is approved, but ${where} is locked until ${lock.expiresAt.toISOString()}: ${fragment(lock.reason, 200)}. Wait for the lock to expire or ask for /release unlock ${service.key} ${request.environment}, then re-run the job.`, release);
  }
  const passed = [slot.bypassed ? 'outside its calendar by its emergency policy' : '', locks.passes ? 'passing a deploy lock by its emergency policy' : ''].filter(Boolean).join(', ');
  return { state: 'approved', service: service.key, releaseId: release.id, comment: `${key} (${service.key} ${release.version}) is approved in relm, and its windows, freezes and deploy locks allow ${request.environment} now${passed ? ` (${passed})` : ''}.` };
}

/**
 * Answers one request on GitHub. The decision is made and audited once per delivery (a retry after a
 * failed answer sends the decision already recorded), noted on the release's card thread when a
 * release matched, then sent through the deployment gate.
 */
export async function answerProtectionRequest(ctx: CoreContext, ports: { codeHost?: CodeHost; deploymentGate?: DeploymentGate }, request: ProtectionRequest): Promise<ProtectionDecision> {
  const gate = ports.deploymentGate;
  if (!gate) throw new Error('the GitHub App is not configured (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)');
  // The tag's commit through the code host (GITHUB_TOKEN) where relm has one, else with the App's own installation token.
  const commitOf: CommitReader = ports.codeHost ? (repo, ref) => ports.codeHost!.commitSha(repo, ref) : (repo, ref) => gate.commitSha(repo, request.installationId, ref);
  const recorded = async () => {
    const entry = await auditEntryWith(ctx.db, PROTECTION_ACTION, 'delivery', request.delivery);
    return entry ? (entry.after as unknown as ProtectionDecision) : undefined;
  };
  let decision = await recorded();
  if (!decision) {
    const fresh = await decideProtection(ctx, commitOf, request);
    const now = ctx.clock();
    const outbox = await ctx.db.transaction().execute(async (trx) => {
      if (!(await firstDelivery(trx, `protection-decision:${request.delivery}`, now))) return undefined;
      const [entry] = await appendAuditEntries(trx, [{ releaseId: fresh.releaseId, actor: 'github', action: PROTECTION_ACTION, after: { ...fresh, delivery: request.delivery, repo: request.repo, environment: request.environment, ref: request.ref, sha: request.sha, runId: request.runId }, at: now }]);
      if (fresh.releaseId === null) return [];
      return enqueueOutbox(trx, [{ kind: 'thread_note', releaseId: fresh.releaseId, dedupeKey: `note:${fresh.releaseId}:protection:${request.delivery}`, payload: { releaseId: fresh.releaseId, auditSeq: entry!.seq } }], now);
    });
    if (outbox) await ctx.effects.dispatch(outbox);
    decision = outbox ? fresh : await recorded();
    if (!decision) throw new Error(`the decision on delivery ${request.delivery} is not recorded`);
  }
  await gate.review({ repo: request.repo, installationId: request.installationId, runId: request.runId, environment: request.environment, state: decision.state, comment: decision.comment });
  return decision;
}
