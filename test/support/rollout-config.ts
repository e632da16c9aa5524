import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes a relm.yml for rollout tests: no change windows, short bakes, a freeze covering today. */
export function writeRolloutConfig(options: { deployerUrl: string; secretEnv: string; bakes?: string }): string {
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const approvals = `{ minor: { required: 1, from: [approvers] }, major: { required: 1, from: [approvers] }, patch: { required: 1, from: [approvers] }, emergency: { required: 1, from: [U0RM], bypass_freeze: true } }`;
  const yaml = `
timezone: UTC
release_managers: [U0RM]
installers: [U0INST]
groups:
  approvers: [U0APP1, U0APP2]
services:
  shop: { name: Shop, channel: C0SHOP, policy: open, deployment_model: quick }
  hooks: { name: Hooks, channel: C0HOOK, policy: open, deployment_model: hooked, github_repo: acme/hooks }
  frozen: { name: Frozen, channel: C0FRZ, policy: frozen, deployment_model: quick }
  gh: { name: GH, channel: C0GH, policy: open, deployment_model: gh-envs, github_repo: acme/gh }
  ghp: { name: GH polled, channel: C0GHP, policy: open, deployment_model: gh-polled, github_repo: acme/ghp }
policies:
  open:
    approvals: ${approvals}
    conflicts: warn
  frozen:
    approvals: ${approvals}
    freezes: [{ from: ${today}, to: ${tomorrow}, reason: Test freeze }]
deployment_models:
  gh-envs:
    deployer: github
    waves:
      - { name: staging, targets: [staging] }
      - { name: production, targets: [prod-eu, prod-us] }
  gh-polled:
    deployer: github
    github: { poll: 1s, timeout: 4s }
    waves:
      - { name: production, targets: [prod-eu, prod-us] }
  quick:
    deployer: manual
    waves:
      - { name: canary, targets: [eu-1], bake: 1s, checklist: [Deploy eu-1, Check the error rate] }
      - { name: rest, targets: [eu-2, us-1], checklist: [Deploy the rest], rollback: [Redeploy the previous image on eu-2 and us-1] }
  hooked:
    deployer: webhook
    webhook: { url: "${options.deployerUrl}/deploy", secret_env: ${options.secretEnv} }
    waves:
      - { name: one, targets: [a], ${options.bakes ? `bake: ${options.bakes}, ` : ''}verify: { url: "${options.deployerUrl}/health", expect: 200, timeout: 20s } }
      - { name: two, targets: [b] }
`;
  const dir = mkdtempSync(join(tmpdir(), 'relm-rollout-'));
  const file = join(dir, 'relm.yml');
  writeFileSync(file, yaml);
  return file;
}
