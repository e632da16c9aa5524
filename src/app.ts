import type { Server } from 'node:http';
import type { App, Receiver } from '@slack/bolt';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { jiraConnection, type Env } from './config/env.ts';
import type { Settings } from './core/settings.ts';
import type { CoreContext } from './core/context.ts';
import { createDatabase, migrateToLatest, pingDatabase, type Database } from './store/database.ts';
import { createRedis } from './jobs/redis.ts';
import { BullEffectDispatcher, startEffectsWorker, type RetrySchedule } from './jobs/effects-queue.ts';
import { RedisChannelPacer } from './jobs/channel-pacer.ts';
import { slackPeopleCache } from './store/repositories/slack-users.ts';
import { ensureInstallationId } from './store/repositories/installation.ts';
import { outboxBacklog } from './store/repositories/outbox.ts';
import { SlackWebApi } from './integrations/slack/web-api.ts';
import { SlackPublisher } from './bot/slack-publisher.ts';
import { createSlackApp, type Connection } from './bot/app.ts';
import { startHttpServer } from './http/server.ts';
import { OutageTracker } from './outage.ts';
import { Metrics } from './http/metrics.ts';
import { healthRoutes } from './http/health.ts';
import { deployCallbackRoute } from './http/deploy-callback.ts';
import { githubWebhookRoute } from './http/github-webhook.ts';
import { jiraWebhookRoute } from './http/jira-webhook.ts';
import { calendarFeedRoute } from './http/calendar-feed.ts';
import { queueDashboardRoute } from './http/queue-dashboard.ts';
import { BullWaker, startRolloutWorker } from './jobs/rollout-queue.ts';
import { EmptyRedisWatch } from './jobs/rebuild-on-empty.ts';
import { DigestScheduler, startDigestWorker } from './jobs/digest-queue.ts';
import { checklistPoster } from './core/effects/checklist-poster.ts';
import type { EffectPorts } from './core/ports/effect-ports.ts';
import { HttpVerifier } from './integrations/http/verifier.ts';
import { ManualDeployer } from './deployers/manual/index.ts';
import { WebhookDeployer } from './deployers/webhook/index.ts';
import { GitHubCodeHost } from './integrations/github/github-code-host.ts';
import { GitHubApp } from './integrations/github/github-app.ts';
import { GitHubDeployer } from './deployers/github/index.ts';
import { createJiraTracker } from './integrations/jira/create-jira-tracker.ts';
import { createLogger } from './log.ts';

export type Role = 'all' | 'bot' | 'worker';

export interface RelmOptions {
  env: Env;
  settings: Settings;
  role: Role;
  log?: Logger;
  clock?: () => Date;
  /** The console's receiver, instead of HTTP or Socket Mode. */
  receiver?: Receiver;
  /** Use an in-memory PGlite instead of RELM_DATA_DIR when DATABASE_URL is unset. */
  memoryDb?: boolean;
  /** How old an unfinished outbox row must be before the relay re-enqueues it. */
  relayAfterMs?: number;
  relayEveryMs?: number;
  /** How a failing effect's job retries before the relay re-queues it (DEFAULT_EFFECT_RETRY). */
  effectRetry?: RetrySchedule;
  /** The first wait between the in-place retries of one GitHub or Jira call (1 s); tests shorten it. */
  httpRetryBaseMs?: number;
  /** How long a drain keeps accepting connections (1 s by default; see src/http/server.ts). */
  acceptGraceMs?: number;
  /** The App Home refresh window: one views.publish per person per window (10 s by default). */
  homeRefreshMs?: number;
}

export interface Relm {
  ctx: CoreContext;
  db: Database;
  slack: SlackWebApi;
  metrics: Metrics;
  log: Logger;
  /** This database's installation id, carried by queue names and job ids. */
  installationId: string;
  app?: App;
  /** The HTTP port actually bound (PORT=0 picks a free one). */
  port?: number;
  outages: OutageTracker;
  /** Workers only: rebuilds the jobs from the database when Redis comes back empty. */
  jobsWatch?: EmptyRedisWatch;
  /** The digests' Job Schedulers (worker roles only). */
  digests?: DigestScheduler;
  /**
   * Drains and stops within `deadlineMs`: the HTTP server answers what it took and closes its
   * connections, Slack work already acknowledged finishes, the workers finish the jobs in hand, then
   * Redis and the database are closed. A job still running at the deadline is left to its lock: it
   * lapses and another worker takes the job again.
   */
  stop(deadlineMs?: number): Promise<void>;
}

/** SIGTERM's budget by default: orchestrators commonly kill 10 s after it. */
export const STOP_DEADLINE_MS = 9_000;

/**
 * The composition root: builds every client, queue and repository once and wires them. Nothing else
 * in relm builds a client on import.
 */
export async function createRelm(options: RelmOptions): Promise<Relm> {
  const { env, settings, role } = options;
  const log = options.log ?? createLogger(env.LOG_LEVEL);
  const clock = options.clock ?? (() => new Date());
  const metrics = new Metrics();
  // Each closer gets the time left; the last added runs first.
  const closers: ((deadline: number) => Promise<unknown>)[] = [];

  const db = createDatabase({ url: env.DATABASE_URL, dataDir: env.RELM_DATA_DIR, memory: options.memoryDb });
  closers.unshift(() => db.destroy());
  try {
    const migrated = await migrateToLatest(db);
    // Replicas starting together take Kysely's migration lock in turn: one applies, the rest find nothing to do.
    const applied = migrated.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
    if (applied.length) log.info({ applied: applied.length, latest: applied.at(-1) }, 'applied database migrations');
    const installation = await ensureInstallationId(db, clock());

    const queueRedis: Redis = createRedis(env.REDIS_URL, { name: 'relm-queue' });
    closers.unshift(async () => queueRedis.quit().catch(() => queueRedis.disconnect()));
    const dispatcher = new BullEffectDispatcher(queueRedis, env.RELM_QUEUE_PREFIX, log, { installation, retry: options.effectRetry, clock });
    closers.unshift(() => dispatcher.close());

    const waker = new BullWaker(queueRedis, env.RELM_QUEUE_PREFIX, log, { installation, clock });
    closers.unshift(() => waker.close());

    const people = slackPeopleCache(db);
    const slack = new SlackWebApi({ token: env.SLACK_BOT_TOKEN ?? 'xoxb-unset', apiUrl: env.SLACK_API_URL, people });
    const jira = jiraConnection(env);
    const jiraConfigured = Boolean(jira);
    slack.onRateLimited = (method, seconds) => metrics.rateLimited(method, seconds);
    const ctx: CoreContext = { db, settings, directory: slack, effects: dispatcher, clock, github: Boolean(env.GITHUB_TOKEN), jira: jiraConfigured, homeRefreshMs: options.homeRefreshMs, telemetry: metrics.telemetry };
    metrics.watch({ queues: [dispatcher.queue, dispatcher.notices, waker.queue], outbox: () => outboxBacklog(db, clock()) });
    const outages = new OutageTracker(log, { database: () => pingDatabase(db), redis: () => queueRedis.ping() });
    closers.unshift(async () => outages.stop());
    const relm: Relm = { ctx, db, slack, metrics, log, outages, installationId: installation, stop: async () => {} };
    const secret = (name: string) => process.env[name];

    if (role !== 'bot') {
      // The workers' Slack client hands a 429 back to the queue (which pauses every worker for its
      // Retry-After) and spaces posts per channel across processes, as Slack allows about one a second.
      const workerSlack = new SlackWebApi({ token: env.SLACK_BOT_TOKEN ?? 'xoxb-unset', apiUrl: env.SLACK_API_URL, people, rejectRateLimited: true, pacer: new RedisChannelPacer(queueRedis, `${env.RELM_QUEUE_PREFIX}:${installation}`, env.RELM_CHANNEL_BURST) });
      workerSlack.onRateLimited = (method, seconds) => {
        metrics.rateLimited(method, seconds);
        log.info({ method, retryAfterSeconds: seconds }, 'Slack rate limited a call');
      };
      const publisher = new SlackPublisher(workerSlack);
      const github = env.GITHUB_TOKEN ? new GitHubCodeHost({ token: env.GITHUB_TOKEN, apiUrl: env.GITHUB_API_URL, log, timeoutMs: env.RELM_HTTP_TIMEOUT_MS, retryBaseMs: options.httpRetryBaseMs, onCall: (route, seconds, failed) => metrics.externalCall('github', route, seconds, failed) }) : undefined;
      const ports: EffectPorts = {
        // Twice the job lock: longer than any one attempt takes (HTTP calls time out in 10 s), short
        // enough that a killed worker's effects are taken over soon.
        leaseMs: env.RELM_JOB_LOCK_MS * 2,
        codeHost: github,
        deploymentHost: github,
        deploymentGate: env.GITHUB_APP_ID && env.GITHUB_APP_PRIVATE_KEY ? new GitHubApp({ appId: env.GITHUB_APP_ID, privateKey: env.GITHUB_APP_PRIVATE_KEY, apiUrl: env.GITHUB_API_URL, log, timeoutMs: env.RELM_HTTP_TIMEOUT_MS, retryBaseMs: options.httpRetryBaseMs }) : undefined,
        changeTracker: jira ? createJiraTracker(jira, { timezone: settings.timezone, timeoutMs: env.RELM_HTTP_TIMEOUT_MS, retryBaseMs: options.httpRetryBaseMs, onCall: (route, seconds, failed) => metrics.externalCall('jira', route, seconds, failed) }) : undefined,
        publisher,
        waker,
        verifier: new HttpVerifier(),
        deployers: {
          manual: new ManualDeployer(checklistPoster(ctx, publisher)),
          webhook: new WebhookDeployer({ secret, callbackUrl: env.RELM_PUBLIC_URL ? new URL('/webhooks/deploy', env.RELM_PUBLIC_URL).toString() : undefined }),
          ...(github
            ? { github: new GitHubDeployer({ host: github, db, repoOf: (service) => settings.services[service]?.githubRepo, refOf: (version) => settings.githubTag.replace('{version}', version), clock }) }
            : {}),
        },
      };
      const workerRedis = createRedis(env.REDIS_URL, { forWorker: true, name: 'relm-worker' });
      const lockDurationMs = env.RELM_JOB_LOCK_MS;
      const workers: Worker[] = [
        ...startEffectsWorker({ connection: workerRedis, prefix: env.RELM_QUEUE_PREFIX, ctx, ports, dispatcher, log, relayAfterMs: options.relayAfterMs, retry: options.effectRetry, lockDurationMs, noticesPerSecond: env.RELM_NOTICES_PER_SECOND }),
        startRolloutWorker({ connection: workerRedis, prefix: env.RELM_QUEUE_PREFIX, installation, ctx, log, lockDurationMs }),
        startDigestWorker({ connection: workerRedis, prefix: env.RELM_QUEUE_PREFIX, installation, ctx, log, lockDurationMs }),
      ];
      // close() waits for the jobs in hand to finish: SIGTERM drains rather than drops.
      closers.unshift(async (deadline) => {
        let timer: NodeJS.Timeout | undefined;
        const finished = await Promise.race([
          Promise.all(workers.map((w) => w.close())).then(() => true),
          new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now())))),
        ]);
        clearTimeout(timer);
        if (!finished) log.warn({ lockMs: lockDurationMs }, 'jobs still running at the shutdown deadline: their locks lapse and another worker takes them again');
        await workerRedis.quit().catch(() => workerRedis.disconnect());
      });
      const digests = new DigestScheduler(queueRedis, env.RELM_QUEUE_PREFIX, log, { installation });
      closers.unshift(() => digests.close());
      relm.digests = digests;
      const schedule = () => Promise.all([dispatcher.scheduleMaintenance(options.relayEveryMs), waker.scheduleSweep(), digests.sync(settings.digests)]);
      await schedule();
      // After Redis restarts empty, the recurring relay and sweep must exist again.
      workerRedis.on('ready', () => void schedule().catch(() => {}));
      // ...and so must every wake-up and effect job it held, at once rather than at the next sweep.
      const watch = new EmptyRedisWatch(queueRedis, { prefix: env.RELM_QUEUE_PREFIX, installation, ctx, waker, log, onEmpty: schedule, everyMs: 10_000 });
      relm.jobsWatch = watch;
      closers.unshift(async () => watch.stop());
      await watch.check();
    }

    // A route that throws answers 500 (503 while a dependency is unreachable); see http/server.ts.
    const routes = [
      ...healthRoutes({ db, redis: queueRedis, metrics }),
      deployCallbackRoute(ctx, secret),
      calendarFeedRoute(ctx, env.RELM_CALENDAR_TOKEN),
      ...[queueDashboardRoute({ token: env.RELM_ADMIN_TOKEN, write: env.RELM_ADMIN_WRITE === 'true', queues: [dispatcher.queue, dispatcher.notices, waker.queue] })].filter((r) => r !== undefined),
      githubWebhookRoute(ctx, env.GITHUB_WEBHOOK_SECRET, { protectionRule: Boolean(env.GITHUB_APP_ID && env.GITHUB_APP_PRIVATE_KEY) }),
      jiraWebhookRoute(ctx, env.JIRA_WEBHOOK_SECRET, { approved: settings.jira.approvedStatuses, declined: settings.jira.declinedStatuses, cancelled: settings.jira.cancelledStatuses }),
    ];
    // Socket Mode and the worker role serve the routes on a server of their own.
    const ownServer = role === 'worker' || (!options.receiver && env.SLACK_APP_TOKEN);
    if (ownServer) {
      const server = await startHttpServer({ port: env.PORT, routes, log, outages, acceptGraceMs: options.acceptGraceMs });
      relm.port = server.port;
      closers.unshift((deadline) => server.close(Math.max(0, deadline - Date.now())));
    }
    if (role !== 'worker') {
      const connection: Connection = options.receiver
        ? { mode: 'custom', receiver: options.receiver }
        : env.SLACK_APP_TOKEN
          ? { mode: 'socket', appToken: env.SLACK_APP_TOKEN }
          : { mode: 'http', signingSecret: env.SLACK_SIGNING_SECRET ?? '', port: env.PORT, routes, acceptGraceMs: options.acceptGraceMs };
      const slackApp = createSlackApp(env.SLACK_BOT_TOKEN ?? 'xoxb-unset', env.SLACK_API_URL, connection, { ctx, slack, log, metrics, outages });
      const { app } = slackApp;
      await app.init();
      const started = await app.start(env.PORT);
      const address = (started as Server | undefined)?.address?.();
      if (!ownServer) relm.port = typeof address === 'object' && address ? address.port : env.PORT;
      relm.app = app;
      closers.unshift((deadline) => slackApp.stop(Math.max(0, deadline - Date.now())));
    }

    relm.stop = async (deadlineMs = STOP_DEADLINE_MS) => {
      const deadline = Date.now() + deadlineMs;
      for (const close of closers.splice(0)) await close(deadline).catch((error) => log.warn({ err: error }, 'error while stopping'));
    };
    return relm;
  } catch (error) {
    for (const close of closers.splice(0)) await close(Date.now()).catch(() => {});
    throw error;
  }
}
