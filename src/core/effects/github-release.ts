import { z } from 'zod';
import { findRelease } from '../../store/repositories/releases.ts';
import { findOutbox } from '../../store/repositories/outbox.ts';
import { serviceOf } from '../settings.ts';
import { CodeHostRejectedError } from '../ports/code-host.ts';
import { releaseKey } from '../release.ts';
import { EffectNotReadyError, PermanentEffectError } from './errors.ts';
import { effect } from './effect.ts';
import { releaseId } from './payloads.ts';

/** The GitHub side of a release: a draft on approval, published on completion, a note on rollback. */
export const githubReleaseEffect = effect({
  kinds: ['github_draft', 'github_publish', 'github_rolled_back'],
  payload: z.object({ releaseId, version: z.string().optional() }),
  traits: { syncs: 'github' },
  async perform(ctx, ports, kind, payload) {
    if (!ports.codeHost) throw new PermanentEffectError('GitHub is not configured (GITHUB_TOKEN)');
    const release = await findRelease(ctx.db, payload.releaseId);
    if (!release) throw new PermanentEffectError(`release ${payload.releaseId} is gone`);
    const service = serviceOf(ctx.settings, release.service);
    if (!service.githubRepo) return { skipped: 'no github_repo' };
    const v = payload.version ?? release.version;
    try {
      if (kind === 'github_draft') {
        const tag = ctx.settings.githubTag.replace('{version}', v);
        const body = [`${release.title}`, release.description, `Authorised in relm as ${releaseKey(release.id)} (${release.type}, risk ${release.risk}).`].filter(Boolean).join('\n\n');
        return { ...(await ports.codeHost.ensureDraftRelease(service.githubRepo, { tag, name: `${service.name} ${v}`, body })) };
      }
      const draft = await findOutbox(ctx.db, `github:draft:${payload.releaseId}:${v}`);
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
  },
});
