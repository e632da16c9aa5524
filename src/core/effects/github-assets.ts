import { findRelease, recordAssetCheck } from '../../store/repositories/releases.ts';
import { findOutbox } from '../../store/repositories/outbox.ts';
import { serviceOf } from '../settings.ts';
import type { EffectPorts } from '../ports/effect-ports.ts';
import type { CoreContext } from '../context.ts';
import type { StoredRelease } from '../release.ts';
import { loadRelease } from '../usecases/load.ts';
import { changeTransaction, recordChange } from '../usecases/record-change.ts';
import { wakeEffect } from '../usecases/rollout/effects.ts';
import { EffectNotReadyError } from './errors.ts';
import { effect } from './effect.ts';
import { OfRelease } from './payloads.ts';

/** What is wrong with the GitHub release's assets against the plan, or null when all match. */
async function assetProblem(ctx: CoreContext, ports: EffectPorts, release: StoredRelease & { assets: NonNullable<StoredRelease['assets']> }): Promise<string | null> {
  const repo = serviceOf(ctx.settings, release.service).githubRepo;
  if (!repo || !ports.codeHost) return 'release assets are listed but the service has no github_repo or GitHub is not configured';
  const tag = ctx.settings.githubTag.replace('{version}', release.version);
  // relm drafts the release itself on approval; the check waits for that rather than racing it.
  const draft = await findOutbox(ctx.db, `github:draft:${release.id}:${release.version}`);
  if (draft && (draft.state === 'pending' || draft.state === 'sending')) throw new EffectNotReadyError('the GitHub draft release is not created yet');
  const draftId = (draft?.result as { id?: number } | null)?.id;
  const found = await ports.codeHost.releaseAssets(repo, { tag, ...(draftId ? { id: draftId } : {}) });
  if (!found) return `there is no GitHub release ${tag}`;
  for (const wanted of release.assets) {
    const asset = found.find((a) => a.name === wanted.name);
    if (!asset) return `asset ${wanted.name} is missing from GitHub release ${tag}`;
    if (!asset.sha256) return `GitHub reports no sha256 digest for ${wanted.name}`;
    if (asset.sha256 !== wanted.sha256) return `asset ${wanted.name} has sha256 ${asset.sha256.slice(0, 12)}…, not ${wanted.sha256.slice(0, 12)}… as planned`;
  }
  return null;
}

/** Compares the plan's assets with the GitHub release's before the first wave, records the outcome and wakes the rollout. */
export const githubAssetsEffect = effect({
  kinds: ['github_assets'],
  payload: OfRelease,
  traits: { syncs: 'github' },
  async perform(ctx, ports, _kind, { releaseId }) {
    const release = await findRelease(ctx.db, releaseId);
    if (!release?.assets?.length) return { skipped: 'no assets' };
    const problem = await assetProblem(ctx, ports, { ...release, assets: release.assets });
    const now = ctx.clock();
    await changeTransaction(ctx, async (trx) => {
      const current = await loadRelease(trx, releaseId, { lock: true });
      const updated = await recordAssetCheck(trx, releaseId, problem, now);
      await recordChange(trx, { release: { ...current, rolloutNote: updated.rolloutNote }, actor: 'relm', action: problem ? 'assets_problem' : 'assets_verified', after: { assets: current.assets?.map((a) => a.name), problem }, at: now, effects: [wakeEffect(releaseId, now)] });
    });
    return problem ? { problem } : { verified: release.assets.length };
  },
});
