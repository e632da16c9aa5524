/** Where released versions live (GitHub in relm): the definitive software library's releases. */
export interface CodeHost {
  /** The release for `tag`, created as a draft with generated notes unless one exists (a retry finds it). */
  ensureDraftRelease(repo: string, input: { tag: string; name: string; body: string }): Promise<{ id: number; url: string; created: boolean }>;
  /** Publishes a draft, optionally replacing its body. */
  publishRelease(repo: string, id: number, body?: string): Promise<{ url: string }>;
  /** Adds a line at the top of a release's notes (for example, that it was rolled back). */
  annotateRelease(repo: string, id: number, note: string): Promise<void>;
}

/** A refusal from the code host that retrying will not change (a 4xx other than rate limits). */
export class CodeHostRejectedError extends Error {
  override name = 'CodeHostRejectedError';
}
