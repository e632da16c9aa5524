/** Where released versions live (GitHub in relm): the definitive software library's releases. */
export interface CodeHost {
  /** The release for `tag`, created as a draft with generated notes unless one exists (a retry finds it). */
  ensureDraftRelease(repo: string, input: { tag: string; name: string; body: string }): Promise<{ id: number; url: string; created: boolean }>;
  /** Publishes a draft, optionally replacing its body. */
  publishRelease(repo: string, id: number, body?: string): Promise<{ url: string }>;
  /** The assets on the release `id`, or else on the release for `tag` (draft or published), with their sha256 digests where GitHub knows them. */
  releaseAssets(repo: string, release: { tag: string; id?: number }): Promise<{ name: string; sha256: string | null }[] | undefined>;
  /** Adds a line at the top of a release's notes (for example, that it was rolled back). */
  annotateRelease(repo: string, id: number, note: string): Promise<void>;
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

/** A refusal from the code host that retrying will not change (a 4xx other than rate limits). */
export class CodeHostRejectedError extends Error {
  override name = 'CodeHostRejectedError';
}
