import { z } from 'zod';
import { findRelease } from '../../store/repositories/releases.ts';
import { findOutbox } from '../../store/repositories/outbox.ts';
import { previousCompletedVersion, recordReleaseCommits } from '../../store/repositories/kpi.ts';
import { serviceOf } from '../settings.ts';
import { CodeHostRejectedError } from '../ports/code-host.ts';
import { firstCommitTime } from '../release-commits.ts';
import { EffectNotReadyError, PermanentEffectError } from './errors.ts';
import { effect } from './effect.ts';
import { releaseId } from './payloads.ts';

/** At most this many commits of one comparison are read (ten pages, oldest first). */
export const MAX_COMPARED_COMMITS = 1_000;

/**
 * Compares the release's tag with the tag of the service's previous completed release on GitHub
 * (`base...head`) and records how many commits it shipped and when the first was written: the lead
 * time for changes runs from there to production. It waits for relm's own publishing of the release
 * (which creates the tag where CI did not); GitHub being down only delays it (a failed call is tried
 * again by the effect job), and a tag GitHub does not have (yet) is looked for again a while before the
 * release is left to count from its plan.
 */
export const releaseCommitsEffect = effect({
  kinds: ['github_commits'],
  payload: z.object({ releaseId, version: z.string() }),
  // A comparison GitHub refuses for good shows on the card, as the other GitHub syncs do.
  traits: { syncs: 'github' },
  async perform(ctx, ports, _kind, payload) {
    if (!ports.codeHost) throw new PermanentEffectError('GitHub is not configured (GITHUB_TOKEN)');
    const release = await findRelease(ctx.db, payload.releaseId);
    if (!release) throw new PermanentEffectError(`release ${payload.releaseId} is gone`);
    if (release.state !== 'completed' || !release.finishedAt) return { skipped: `the release is ${release.state}, not completed` };
    const repo = serviceOf(ctx.settings, release.service).githubRepo;
    if (!repo) return { skipped: 'no github_repo' };
    const previous = await previousCompletedVersion(ctx.db, release, release.finishedAt);
    if (!previous) return { skipped: `no earlier completed release of ${release.service} to compare with` };
    const publish = await findOutbox(ctx.db, `github:publish:${release.id}:${release.version}`);
    if (publish && (publish.state === 'pending' || publish.state === 'sending')) throw new EffectNotReadyError('the GitHub release (and with it the tag) is not published yet');
    const tag = (version: string) => ctx.settings.githubTag.replace('{version}', version);
    const [base, head] = [tag(previous), tag(release.version)];
    let comparison;
    try {
      comparison = await ports.codeHost.compareCommits(repo, base, head, { maxCommits: MAX_COMPARED_COMMITS });
    } catch (error) {
      if (error instanceof CodeHostRejectedError) throw new PermanentEffectError(`${error.message}; the lead time counts from the plan`);
      throw error;
    }
    if (!comparison) throw new EffectNotReadyError(`GitHub has no ${base} or no ${head} in ${repo}, so the lead time counts from the plan`);
    const first = firstCommitTime(comparison.commits);
    await recordReleaseCommits(ctx.db, release.id, { base, head, count: comparison.total, firstCommitAt: first }, ctx.clock());
    return { base, head, commits: comparison.total, read: comparison.commits.length, firstCommitAt: first?.toISOString() ?? null };
  },
});
