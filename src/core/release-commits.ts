import type { CoreContext } from './context.ts';
import type { OutboxMessage } from './effect.ts';
import type { ComparedCommit } from './ports/code-host.ts';
import type { StoredRelease } from './release.ts';

// A release's commits for the lead time for changes, as data: when they are asked for, and which
// commit counts as the first. The effect that reads them from GitHub is effects/release-commits.ts.

/**
 * When the first change a release ships was made: the earliest author date among its commits (the
 * moment the change was written, which a rebase or a merge keeps; the committer date where a commit
 * has no author date). Null for a comparison without commits.
 */
export function firstCommitTime(commits: readonly ComparedCommit[]): Date | null {
  let first: number | null = null;
  for (const c of commits) {
    const t = (c.authoredAt ?? c.committedAt)?.getTime();
    if (t !== undefined && !Number.isNaN(t) && (first === null || t < first)) first = t;
  }
  return first === null ? null : new Date(first);
}

/**
 * The effect that records a completed release's commits for the lead time for changes, asked for with
 * the completion of its rollout where the service has a github_repo and GitHub is on. Keyed by release
 * and version, so it is written and performed once.
 */
export function releaseCommitsEffects(ctx: CoreContext, release: StoredRelease, action: string): OutboxMessage[] {
  if (action !== 'rollout_completed' || !ctx.github || !ctx.settings.services[release.service]?.githubRepo) return [];
  return [{ kind: 'github_commits', releaseId: release.id, dedupeKey: `github:commits:${release.id}:${release.version}`, payload: { releaseId: release.id, version: release.version } }];
}
