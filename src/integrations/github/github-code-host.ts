import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { Logger } from 'pino';
import type { CallObserver } from '../http/call-observer.ts';
import { CodeHostRejectedError, type CodeHost, type CommitComparison, type DeploymentHost, type DeploymentRequest } from '../../core/ports/code-host.ts';

const RelmOctokit = Octokit.plugin(retry, throttling);

export interface GitHubOptions {
  token: string;
  /** https://api.github.com, or https://ghe.example.com/api/v3 for GitHub Enterprise Server. */
  apiUrl: string;
  log: Logger;
  /** How many times one call is retried after a rate limit, honouring Retry-After. */
  rateLimitRetries?: number;
  /** How long one request may take before it is abandoned (and retried, where that is safe). */
  timeoutMs?: number;
  /** The first wait between the in-place retries of a 5xx (then 4 and 9 times it); 1 s by default. */
  retryBaseMs?: number;
  /** Told of every call (retries included) by route, e.g. `GET /repos/{owner}/{repo}/releases`; for metrics. */
  onCall?: CallObserver;
}

/**
 * Creating a release or a deployment is not idempotent on GitHub's side: an attempt that timed out
 * may still have landed. Those calls are not retried by the plugin but by relm's effect job, which
 * looks for what an earlier attempt made before it creates anything.
 */
const NO_BLIND_RETRY = { request: { retries: 0 } } as const;

/** Commits per page of a comparison (GitHub's largest page), and how many are read at most by default. */
const COMPARE_PAGE = 100;
const DEFAULT_MAX_COMPARED = 1_000;

function split(repo: string): { owner: string; repo: string } {
  const [owner, name] = repo.split('/') as [string, string];
  return { owner, repo: name };
}

/**
 * A rate limit that outlasted the throttling plugin's retries: a 429, or a 403 that GitHub marks as a
 * primary (`x-ratelimit-remaining: 0`) or secondary rate limit. Waiting helps, so it is never final.
 */
function rateLimited(error: unknown): boolean {
  const e = error as { status?: number; message?: string; response?: { headers?: Record<string, string | undefined> } };
  if (e.status === 429) return true;
  return e.status === 403 && (e.response?.headers?.['x-ratelimit-remaining'] === '0' || e.response?.headers?.['retry-after'] !== undefined || /secondary rate limit|rate limit exceeded/i.test(e.message ?? ''));
}

/** Turns a 4xx that retrying cannot fix into a permanent error; a rate limit stays transient, so the job tries again later. */
async function call<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status && status >= 400 && status < 500 && !rateLimited(error)) throw new CodeHostRejectedError(`GitHub refused to ${what} (${status}): ${(error as Error).message}`);
    throw error;
  }
}

/**
 * GitHub releases through Octokit, with GitHub's retry and throttling plugins: 5xx and network errors
 * are retried, 429 and secondary rate limits wait for Retry-After.
 */
export class GitHubCodeHost implements CodeHost, DeploymentHost {
  readonly octokit: InstanceType<typeof RelmOctokit>;

  constructor(options: GitHubOptions) {
    const retries = options.rateLimitRetries ?? 2;
    const timeoutMs = options.timeoutMs ?? 15_000;
    this.octokit = new RelmOctokit({
      auth: options.token,
      baseUrl: options.apiUrl.replace(/\/$/, ''),
      userAgent: 'relm',
      retry: { retryAfterBaseValue: options.retryBaseMs ?? 1_000 },
      // Octokit logs each request, and each failed one as an error, as plain text on stderr: into pino
      // instead, at debug, since relm logs what it does about a failure (the effect job's retry).
      log: { debug: (m: string) => options.log.debug(m), info: (m: string) => options.log.debug(m), warn: (m: string) => options.log.warn(m), error: (m: string) => options.log.debug(m) },
      // A fresh timeout for every attempt; a timed-out request fails like a 5xx and is retried.
      request: { fetch: (url: string, init: RequestInit = {}) => fetch(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) }) },
      throttle: {
        onRateLimit: (retryAfter, opts, _octokit, retryCount) => {
          options.log.warn({ retryAfter, url: (opts as { url?: string }).url }, 'GitHub rate limit');
          return retryCount < retries;
        },
        onSecondaryRateLimit: (retryAfter, opts, _octokit, retryCount) => {
          options.log.warn({ retryAfter, url: (opts as { url?: string }).url }, 'GitHub secondary rate limit');
          return retryCount < retries;
        },
      },
    });
    const onCall = options.onCall;
    if (onCall) {
      this.octokit.hook.wrap('request', async (request, endpoint) => {
        const route = `${endpoint.method} ${endpoint.url}`;
        const started = performance.now();
        try {
          const response = await request(endpoint);
          onCall(route, (performance.now() - started) / 1000);
          return response;
        } catch (error) {
          onCall(route, (performance.now() - started) / 1000, { status: (error as { status?: number }).status });
          throw error;
        }
      });
    }
  }

  async ensureDraftRelease(repo: string, input: { tag: string; name: string; body: string }): Promise<{ id: number; url: string; created: boolean }> {
    const target = split(repo);
    // getReleaseByTag does not see drafts, so look through the list (newest first) for the tag.
    const existing = await call('list releases', () => this.octokit.rest.repos.listReleases({ ...target, per_page: 100 }));
    const found = existing.data.find((r) => r.tag_name === input.tag);
    if (found) return { id: found.id, url: found.html_url, created: false };
    const created = await call('create the release', () =>
      this.octokit.rest.repos.createRelease({ ...target, tag_name: input.tag, name: input.name, body: input.body, draft: true, generate_release_notes: true, ...NO_BLIND_RETRY }),
    );
    return { id: created.data.id, url: created.data.html_url, created: true };
  }

  async ensureDeployment(repo: string, request: DeploymentRequest): Promise<{ id: number; created: boolean }> {
    const target = split(repo);
    const existing = await call('list deployments', () => this.octokit.rest.repos.listDeployments({ ...target, environment: request.environment, ref: request.ref, per_page: 100 }));
    const found = existing.data.find((d) => (d.payload as { relm_key?: string } | string | undefined) && typeof d.payload === 'object' && (d.payload as { relm_key?: string }).relm_key === request.idempotencyKey);
    if (found) return { id: found.id, created: false };
    const created = await call('create the deployment', () =>
      this.octokit.rest.repos.createDeployment({
        ...target,
        ref: request.ref,
        environment: request.environment,
        description: request.description.slice(0, 140),
        auto_merge: false,
        required_contexts: [],
        payload: { ...request.payload, relm_key: request.idempotencyKey },
        ...NO_BLIND_RETRY,
      }),
    );
    const id = (created.data as { id?: number }).id;
    if (!id) throw new CodeHostRejectedError(`GitHub did not create the deployment: ${(created.data as { message?: string }).message ?? 'no id'}`);
    return { id, created: true };
  }

  async deploymentState(repo: string, deploymentId: number): Promise<{ state: string; description: string | null } | undefined> {
    // GitHub lists a deployment's statuses newest first.
    const statuses = await call('read the deployment statuses', () => this.octokit.rest.repos.listDeploymentStatuses({ ...split(repo), deployment_id: deploymentId, per_page: 1 }));
    const newest = statuses.data[0];
    return newest ? { state: newest.state, description: newest.description ?? null } : undefined;
  }

  async releaseAssets(repo: string, wanted: { tag: string; id?: number }): Promise<{ name: string; sha256: string | null }[] | undefined> {
    // Drafts are not found by tag (GET /releases/tags/{tag} only sees published ones), hence the id or the list.
    const release = wanted.id
      ? (await call('read the release', () => this.octokit.rest.repos.getRelease({ ...split(repo), release_id: wanted.id! }))).data
      : (await call('list releases', () => this.octokit.rest.repos.listReleases({ ...split(repo), per_page: 100 }))).data.find((r) => r.tag_name === wanted.tag);
    if (!release) return undefined;
    return release.assets.map((a) => ({ name: a.name, sha256: (a as { digest?: string | null }).digest?.replace(/^sha256:/, '').toLowerCase() ?? null }));
  }

  async publishRelease(repo: string, id: number, body?: string): Promise<{ url: string }> {
    const updated = await call('publish the release', () => this.octokit.rest.repos.updateRelease({ ...split(repo), release_id: id, draft: false, ...(body ? { body } : {}) }));
    return { url: updated.data.html_url };
  }

  async commitSha(repo: string, ref: string): Promise<string | undefined> {
    try {
      const commit = await this.octokit.rest.repos.getCommit({ ...split(repo), ref, per_page: 1 });
      return commit.data.sha;
    } catch (error) {
      // No such tag, branch or commit: the ref covers nothing, which is an answer, not a failure.
      if ([404, 422].includes((error as { status?: number }).status ?? 0)) return undefined;
      return call('read the commit', () => Promise.reject(error));
    }
  }

  async compareCommits(repo: string, base: string, head: string, options: { maxCommits?: number } = {}): Promise<CommitComparison | undefined> {
    const max = Math.max(1, options.maxCommits ?? DEFAULT_MAX_COMPARED);
    const date = (value: string | null | undefined) => (value ? new Date(value) : null);
    const commits: CommitComparison['commits'] = [];
    let total = 0;
    // With a page parameter GitHub lists the comparison oldest first, page by page (without one it
    // gives the newest 250 only); the changed files come with page 1 alone and are not read.
    for (let page = 1; commits.length < max; page++) {
      let data;
      try {
        ({ data } = await this.octokit.rest.repos.compareCommitsWithBasehead({ ...split(repo), basehead: `${base}...${head}`, per_page: COMPARE_PAGE, page }));
      } catch (error) {
        // A tag that is not there (yet): an answer, not a failure.
        if ((error as { status?: number }).status === 404) return undefined;
        return call('compare the commits', () => Promise.reject(error));
      }
      total = data.total_commits;
      for (const c of data.commits.slice(0, max - commits.length)) commits.push({ sha: c.sha, authoredAt: date(c.commit.author?.date), committedAt: date(c.commit.committer?.date) });
      if (data.commits.length < COMPARE_PAGE || commits.length >= total) break;
    }
    return { total, commits };
  }

  async annotateRelease(repo: string, id: number, note: string): Promise<void> {
    const current = await call('read the release', () => this.octokit.rest.repos.getRelease({ ...split(repo), release_id: id }));
    if (current.data.body?.startsWith(note)) return;
    await call('update the release notes', () => this.octokit.rest.repos.updateRelease({ ...split(repo), release_id: id, body: `${note}\n\n${current.data.body ?? ''}` }));
  }
}
