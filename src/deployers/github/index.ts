import type { Kysely } from 'kysely';
import type { DB } from '../../store/schema.ts';
import { DeployRejectedError, type DeployRequest, type DeployStarted, type Deployer } from '../../core/ports/deployer.ts';
import { CodeHostRejectedError, type DeploymentHost } from '../../core/ports/code-host.ts';
import { releaseKey } from '../../core/release.ts';
import { previousVersion } from '../../store/repositories/configuration-records.ts';
import { recordGitHubDeployment } from '../../store/repositories/github-deployments.ts';

export interface GitHubDeployerOptions {
  host: DeploymentHost;
  db: Kysely<DB>;
  /** Repository of a service (`github_repo` in relm.yml). */
  repoOf: (service: string) => string | undefined;
  /** The git ref of a version (the tag template). */
  refOf: (version: string) => string;
  clock: () => Date;
}

/**
 * One GitHub deployment per wave target (environment = target, auto_merge off), each carrying the
 * step's idempotency key in its payload. The result arrives with `deployment_status` webhooks.
 */
export class GitHubDeployer implements Deployer {
  readonly name = 'github';
  readonly #options: GitHubDeployerOptions;

  constructor(options: GitHubDeployerOptions) {
    this.#options = options;
  }

  async start({ release, step }: DeployRequest): Promise<DeployStarted> {
    const repo = this.#options.repoOf(release.service);
    if (!repo) throw new DeployRejectedError(`service ${release.service} has no github_repo for the github deployer`);
    const deployments: { target: string; id: number }[] = [];
    for (const target of step.targets) {
      // A rollback deploys what ran on the target before this release.
      const version = step.kind === 'rollback' ? await previousVersion(this.#options.db, release.service, target, release.id) : release.version;
      if (!version) throw new DeployRejectedError(`no earlier version of ${release.service} is recorded on ${target}, so there is nothing to roll back to`);
      const ref = this.#options.refOf(version);
      try {
        const { id } = await this.#options.host.ensureDeployment(repo, {
          ref,
          environment: target,
          description: `${releaseKey(release.id)} ${step.kind === 'rollback' ? 'rollback' : 'deploy'} of ${release.version} (${step.waveName})`,
          idempotencyKey: `${step.idempotencyKey}:${target}`,
          payload: { release: releaseKey(release.id), version, wave: step.waveName, action: step.kind, step: step.idempotencyKey },
        });
        await recordGitHubDeployment(this.#options.db, { stepId: step.id, target, deploymentId: id }, this.#options.clock());
        deployments.push({ target, id });
      } catch (error) {
        if (error instanceof CodeHostRejectedError) throw new DeployRejectedError(error.message);
        throw error;
      }
    }
    return { status: 'running', ref: { deployments } };
  }
}
