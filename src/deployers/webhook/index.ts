import type { DeployRequest, DeployStarted, Deployer } from '../../core/ports/deployer.ts';
import { DeployRejectedError } from '../../core/ports/deployer.ts';
import { releaseKey } from '../../core/release.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody } from './signature.ts';

export interface WebhookDeployerOptions {
  /** Reads a secret by the env name the deployment model gives (`secret_env`). */
  secret: (envName: string) => string | undefined;
  /** Where the deploy system reports back: RELM_PUBLIC_URL + /webhooks/deploy. */
  callbackUrl: string | undefined;
  timeoutMs?: number;
}

/**
 * POSTs a signed JSON request per step to the model's webhook URL. The answer decides: a JSON
 * `{"status": "succeeded" | "failed"}` is the result; 202 (or 2xx without a status) means the result
 * comes later to POST /webhooks/deploy; 4xx fails the step; 5xx and timeouts are retried.
 * Every attempt for a step carries the same Idempotency-Key.
 */
export class WebhookDeployer implements Deployer {
  readonly name = 'webhook';
  readonly #options: WebhookDeployerOptions;

  constructor(options: WebhookDeployerOptions) {
    this.#options = options;
  }

  async start({ release, step, model }: DeployRequest): Promise<DeployStarted> {
    if (!model.webhook) throw new DeployRejectedError(`deployment model ${model.name} has no webhook URL`);
    const secret = this.#options.secret(model.webhook.secretEnv);
    if (!secret) throw new DeployRejectedError(`${model.webhook.secretEnv} is not set, so relm cannot sign the webhook`);
    const body = JSON.stringify({
      release: { id: release.id, key: releaseKey(release.id), service: release.service, version: release.version, title: release.title },
      action: step.kind,
      wave: step.waveName,
      wave_index: step.waveIndex,
      try: step.try,
      targets: step.targets,
      idempotency_key: step.idempotencyKey,
      callback_url: this.#options.callbackUrl ?? null,
    });
    // The host's wall clock, not relm's: the receiver checks this timestamp against its own clock to refuse replays.
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(model.webhook.url, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'idempotency-key': step.idempotencyKey,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signBody(secret, timestamp, body),
        'user-agent': 'relm-webhook-deployer',
      },
      signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
    });
    const text = await res.text();
    if (res.status >= 500 || res.status === 429) throw new Error(`webhook answered ${res.status}; will retry`);
    if (res.status >= 400) throw new DeployRejectedError(`webhook refused the step with ${res.status}: ${text.slice(0, 200)}`);
    let answer: { status?: string; detail?: string } = {};
    try {
      answer = text ? JSON.parse(text) : {};
    } catch {
      answer = {};
    }
    if (res.status !== 202 && (answer.status === 'succeeded' || answer.status === 'failed')) return { status: answer.status, detail: answer.detail, ref: { http: res.status } };
    return { status: 'running', ref: { http: res.status } };
  }
}
