/** One commit of a comparison, with git's two dates (null where the host gives none). */
export interface ComparedCommit {
  sha: string;
  authoredAt: Date | null;
  committedAt: Date | null;
}

/** What `head` has that `base` has not: every commit counted, and the commits themselves, oldest first. */
export interface CommitComparison {
  /** All commits in the comparison (GitHub's `total_commits`). */
  total: number;
  /** The commits read, oldest first: all of them, or the first `maxCommits` of a very large comparison. */
  commits: ComparedCommit[];
}

/** Where released versions live (GitHub in relm): the definitive software library's releases. */
export interface CodeHost {
  /**
   * The commits reachable from `head` and not from `base` (tags, branches or shas), as GitHub's compare
   * of `base...head` lists them, paged through up to `maxCommits`; undefined when the repository has no
   * such ref (or no such repository).
   */
  compareCommits(repo: string, base: string, head: string, options?: { maxCommits?: number }): Promise<CommitComparison | undefined>;
  /** The release for `tag`, created as a draft with generated notes unless one exists (a retry finds it). */
  ensureDraftRelease(repo: string, input: { tag: string; name: string; body: string }): Promise<{ id: number; url: string; created: boolean }>;
  /** Publishes a draft, optionally replacing its body. */
  publishRelease(repo: string, id: number, body?: string): Promise<{ url: string }>;
  /** The assets on the release `id`, or else on the release for `tag` (draft or published), with their sha256 digests where GitHub knows them. */
  releaseAssets(repo: string, release: { tag: string; id?: number }): Promise<{ name: string; sha256: string | null }[] | undefined>;
  /** Adds a line at the top of a release's notes (for example, that it was rolled back). */
  annotateRelease(repo: string, id: number, note: string): Promise<void>;
  /** The commit a ref (a tag, branch or sha) points at, or undefined when the repository has no such ref. */
  commitSha(repo: string, ref: string): Promise<string | undefined>;
}

export interface DeploymentRequest {
  ref: string;
  environment: string;
  description: string;
  /** Stored in the deployment's payload, so a retry finds the deployment an earlier attempt created. */
  idempotencyKey: string;
  payload: Record<string, unknown>;
}

/** Deployments per environment (the github deployer). */
export interface DeploymentHost {
  ensureDeployment(repo: string, request: DeploymentRequest): Promise<{ id: number; created: boolean }>;
  /** The newest status of a deployment (`queued`, `in_progress`, `success`, `failure`…), or undefined when it has none yet. */
  deploymentState(repo: string, deploymentId: number): Promise<{ state: string; description: string | null } | undefined>;
}

/** One answer to a custom deployment protection rule: GitHub's review of a workflow run's gate. */
export interface GateReview {
  repo: string;
  /** The GitHub App installation that was asked (the event's `installation.id`): its token answers. */
  installationId: number;
  runId: number;
  environment: string;
  state: 'approved' | 'rejected';
  comment: string;
}

/** Where relm answers GitHub's custom deployment protection rules (a GitHub App). */
export interface DeploymentGate {
  review(review: GateReview): Promise<void>;
  /** The commit a ref points at, read with the installation's token (when relm has no GITHUB_TOKEN). */
  commitSha(repo: string, installationId: number, ref: string): Promise<string | undefined>;
}

/** A refusal from the code host that retrying will not change (a 4xx other than rate limits). */
export class CodeHostRejectedError extends Error {
  override name = 'CodeHostRejectedError';
}
