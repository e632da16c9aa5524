import type { DeployRequest, DeployStarted, Deployer } from '../../core/ports/deployer.ts';
import type { PostedRef } from '../../core/ports/publisher.ts';
import type { RolloutStep } from '../../core/rollout.ts';


export type ChecklistPoster = (releaseId: number, step: RolloutStep, retry: boolean) => Promise<PostedRef>;

/**
 * People do the work: the wave's checklist goes to the card's thread, installers tick the items, and
 * Done or Failed reports the result. Who ticked what, and when, is recorded.
 */
export class ManualDeployer implements Deployer {
  readonly name = 'manual';
  readonly #post: ChecklistPoster;

  constructor(post: ChecklistPoster) {
    this.#post = post;
  }

  async start(request: DeployRequest): Promise<DeployStarted> {
    const checklist = await this.#post(request.release.id, request.step, request.retry);
    return { status: 'running', ref: { checklist } };
  }
}
