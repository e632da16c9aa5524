import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** relm's Prometheus metrics, on a registry of its own so several apps can live in one process (tests). */
export class Metrics {
  readonly registry = new Registry();
  readonly slackRequests = new Counter({
    name: 'relm_slack_requests_total',
    help: 'Slack requests handled, by kind (command, action, view) and name',
    labelNames: ['kind', 'name'] as const,
    registers: [this.registry],
  });
  readonly ackSeconds = new Histogram({
    name: 'relm_slack_ack_seconds',
    help: 'Time from receiving a Slack request to acknowledging it, by kind and name',
    labelNames: ['kind', 'name'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly slackWorking = new Gauge({
    name: 'relm_slack_requests_in_progress',
    help: 'Slack requests taken and not finished yet (acknowledged or about to be)',
    registers: [this.registry],
  });
  readonly slackErrors = new Counter({
    name: 'relm_slack_errors_total',
    help: 'Errors answered to Slack users, by kind: user (their input or permissions), outage (database or Redis unreachable), busy (no work slot in 2 s) or internal',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'relm_' });
  }
}
