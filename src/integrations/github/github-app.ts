import { createPrivateKey } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import type { Logger } from 'pino';
import { CodeHostRejectedError, type DeploymentGate, type GateReview } from '../../core/ports/code-host.ts';

const AppOctokit = Octokit.plugin(retry);

export interface GitHubAppOptions {
  appId: string;
  /** The App's private key (PEM); `\n` written as two characters, as env files often hold it, is read as a newline. */
  privateKey: string;
  /** https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  apiUrl: string;
  log: Logger;
  timeoutMs?: number;
  /** The first wait between the in-place retries of a 5xx; 1 s by default. */
  retryBaseMs?: number;
}

/** The key as PEM text with real newlines. */
export function appPrivateKey(raw: string): string {
  return raw.includes('\\n') ? raw.replace(/\\n/g, '\n') : raw;
}

/** Throws a readable error when the key is not a private key Node can read (the App's .pem file). */
export function checkAppPrivateKey(raw: string): void {
  try {
    createPrivateKey(appPrivateKey(raw));
  } catch (error) {
    throw new Error(`GITHUB_APP_PRIVATE_KEY is not a PEM private key (${(error as Error).message}): paste the .pem file the App's settings page generated`);
  }
}

/**
 * relm as a GitHub App: a JWT signed with the App's key (RS256) buys an installation token for the
 * installation that sent the event (@octokit/auth-app, which caches and refreshes those tokens).
 */
export class GitHubApp implements DeploymentGate {
  readonly #options: GitHubAppOptions;
  readonly #installations = new Map<number, InstanceType<typeof AppOctokit>>();

  constructor(options: GitHubAppOptions) {
    this.#options = { ...options, privateKey: appPrivateKey(options.privateKey) };
  }

  #octokit(installationId?: number): InstanceType<typeof AppOctokit> {
    const { appId, privateKey, apiUrl, log, timeoutMs = 15_000, retryBaseMs = 1_000 } = this.#options;
    return new AppOctokit({
      authStrategy: createAppAuth,
      auth: { appId, privateKey, ...(installationId ? { installationId } : {}) },
      baseUrl: apiUrl.replace(/\/$/, ''),
      userAgent: 'relm',
      retry: { retryAfterBaseValue: retryBaseMs },
      log: { debug: (m: string) => log.debug(m), info: (m: string) => log.debug(m), warn: (m: string) => log.warn(m), error: (m: string) => log.debug(m) },
      request: { fetch: (url: string, init: RequestInit = {}) => fetch(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) }) },
    });
  }

  #installation(id: number): InstanceType<typeof AppOctokit> {
    let octokit = this.#installations.get(id);
    if (!octokit) this.#installations.set(id, (octokit = this.#octokit(id)));
    return octokit;
  }

  /** GET /app as the App itself (its JWT): what doctor asks. */
  async app(): Promise<{ slug: string; name: string }> {
    const { data } = await this.#octokit().rest.apps.getAuthenticated();
    return { slug: data?.slug ?? '', name: data?.name ?? '' };
  }

  async commitSha(repo: string, installationId: number, ref: string): Promise<string | undefined> {
    const [owner, name] = repo.split('/') as [string, string];
    try {
      return (await this.#installation(installationId).rest.repos.getCommit({ owner, repo: name, ref, per_page: 1 })).data.sha;
    } catch (error) {
      if ([404, 422].includes((error as { status?: number }).status ?? 0)) return undefined;
      throw error;
    }
  }

  async review(review: GateReview): Promise<void> {
    const [owner, repo] = review.repo.split('/') as [string, string];
    try {
      await this.#installation(review.installationId).rest.actions.reviewCustomGatesForRun({ owner, repo, run_id: review.runId, environment_name: review.environment, state: review.state, comment: review.comment });
    } catch (error) {
      const status = (error as { status?: number }).status;
      // A run no longer waiting, or an App without the permission: answering again will not change it.
      if (status && status >= 400 && status < 500 && status !== 429) throw new CodeHostRejectedError(`GitHub refused the deployment review (${status}): ${(error as Error).message}`);
      throw error;
    }
  }
}
