import type { ChangeTracker } from './change-tracker.ts';
import type { CodeHost, DeploymentGate, DeploymentHost } from './code-host.ts';
import type { Deployer } from './deployer.ts';
import type { Publisher } from './publisher.ts';
import type { Verifier } from './verifier.ts';
import type { Waker } from './waker.ts';

/** Everything effects are performed with, built by the composition root. */
export interface EffectPorts {
  publisher: Publisher;
  waker: Waker;
  verifier: Verifier;
  deployers: Record<string, Deployer>;
  /** Change tickets (absent when Jira is not configured). */
  changeTracker?: ChangeTracker;
  /** GitHub releases (absent when GITHUB_TOKEN is not set). */
  codeHost?: CodeHost;
  /** GitHub deployments, polled by the github deployer's steps (absent when GITHUB_TOKEN is not set). */
  deploymentHost?: DeploymentHost;
  /** Answers custom deployment protection rules (absent when GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY are not set). */
  deploymentGate?: DeploymentGate;
  /** How long one attempt may hold an effect before a worker presumes it dead and takes over. */
  leaseMs?: number;
}
