import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Telemetry } from '../core/context.ts';

/** What the scrape asks of a queue (BullMQ's Queue). */
export interface CountedQueue {
  name: string;
  getJobCounts(...states: string[]): Promise<Record<string, number>>;
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'] as const;

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

  readonly queueJobs = new Gauge({
    name: 'relm_queue_jobs',
    help: 'Jobs in each relm queue by state (waiting, active, delayed, failed, ...), read from Redis at each scrape',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
    collect: async () => {
      if (!this.#queues.length) return;
      this.queueJobs.reset();
      await Promise.all(
        this.#queues.map(async (queue) => {
          // Redis away: the series go missing (alert on absent()), the scrape still answers.
          const counts = await queue.getJobCounts(...QUEUE_STATES).catch(() => undefined);
          for (const state of QUEUE_STATES) if (counts) this.queueJobs.set({ queue: queue.name, state }, counts[state] ?? 0);
        }),
      );
    },
  });
  readonly outboxPending = new Gauge({
    name: 'relm_outbox_pending',
    help: 'Outbox rows (effects) not performed yet, by whether they wait for a moment of their own (deferred)',
    labelNames: ['deferred'] as const,
    registers: [this.registry],
    collect: async () => {
      const counts = await this.#outbox?.().catch(() => undefined);
      if (!counts) return;
      this.outboxPending.set({ deferred: 'false' }, counts.due);
      this.outboxPending.set({ deferred: 'true' }, counts.deferred);
    },
  });
  readonly effectLag = new Histogram({
    name: 'relm_effect_lag_seconds',
    help: 'From an effect being written (its outbox row) to it being done, by kind',
    labelNames: ['kind'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200],
    registers: [this.registry],
  });
  readonly stepStartLag = new Histogram({
    name: 'relm_step_start_lag_seconds',
    help: 'From a wave being due (planned start, or the previous wave baked) to it starting; includes waits for a change window or a lock',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 600],
    registers: [this.registry],
  });
  readonly slackRateLimited = new Counter({
    name: 'relm_slack_rate_limited_total',
    help: 'Slack Web API calls answered 429, by method',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });
  readonly slackRetryAfter = new Histogram({
    name: 'relm_slack_retry_after_seconds',
    help: 'The Retry-After Slack gave with each 429, by method',
    labelNames: ['method'] as const,
    buckets: [1, 2, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly externalCalls = new Histogram({
    name: 'relm_external_call_seconds',
    help: 'Calls to Jira and GitHub by system, route (operation or path template) and outcome (ok or error)',
    labelNames: ['system', 'route', 'outcome'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly externalErrors = new Counter({
    name: 'relm_external_call_errors_total',
    help: 'Failed calls to Jira and GitHub by system, route and HTTP status (or "network")',
    labelNames: ['system', 'route', 'status'] as const,
    registers: [this.registry],
  });

  #queues: CountedQueue[] = [];
  #outbox?: () => Promise<{ due: number; deferred: number }>;

  /** What the scrape reads: the queues' job counts and the outbox's backlog. */
  watch(options: { queues: CountedQueue[]; outbox: () => Promise<{ due: number; deferred: number }> }): void {
    this.#queues = options.queues;
    this.#outbox = options.outbox;
  }

  /** The core's timings, into the histograms above. */
  readonly telemetry: Telemetry = {
    effectDone: (kind, lagMs) => this.effectLag.observe({ kind }, Math.max(0, lagMs) / 1000),
    stepStarted: (_kind, lagMs) => this.stepStartLag.observe(Math.max(0, lagMs) / 1000),
  };

  /** A 429 from Slack and the Retry-After it gave. */
  rateLimited(method: string, retryAfterSeconds: number): void {
    const name = method.replace(/^.*\/api\//, '').replace(/^\//, '') || 'unknown';
    this.slackRateLimited.inc({ method: name });
    this.slackRetryAfter.observe({ method: name }, retryAfterSeconds);
  }

  /** One call to Jira or GitHub; `status` when it failed (undefined for a network error or timeout). */
  externalCall(system: 'jira' | 'github', route: string, seconds: number, failed?: { status?: number }): void {
    this.externalCalls.observe({ system, route, outcome: failed ? 'error' : 'ok' }, seconds);
    if (failed) this.externalErrors.inc({ system, route, status: failed.status ? String(failed.status) : 'network' });
  }

  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'relm_' });
  }
}
