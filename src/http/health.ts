import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { pingDatabase, type Database } from '../store/database.ts';
import type { Metrics } from './metrics.ts';

export interface HealthDeps {
  db: Database;
  redis: Redis;
  metrics: Metrics;
}

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Readiness: each dependency answers, or the name of the one that does not. */
export async function readiness(deps: HealthDeps): Promise<{ ok: boolean; checks: Record<string, string> }> {
  const checks: Record<string, string> = {};
  await Promise.all([
    within(2_000, pingDatabase(deps.db)).then(
      () => (checks.database = 'ok'),
      (error: Error) => (checks.database = `down: ${error.message}`),
    ),
    within(2_000, deps.redis.ping()).then(
      () => (checks.redis = 'ok'),
      (error: Error) => (checks.redis = `down: ${error.message}`),
    ),
  ]);
  return { ok: Object.values(checks).every((v) => v === 'ok'), checks };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** GET /healthz, /readyz and /metrics, as Bolt custom routes or on a bare server (worker role). */
export function healthRoutes(deps: HealthDeps): { path: string; method: string; handler: Handler }[] {
  return [
    { path: '/healthz', method: 'GET', handler: (_req, res) => json(res, 200, { status: 'ok' }) },
    {
      path: '/readyz',
      method: 'GET',
      handler: async (_req, res) => {
        const result = await readiness(deps);
        json(res, result.ok ? 200 : 503, { status: result.ok ? 'ready' : 'not ready', ...result.checks });
      },
    },
    {
      path: '/metrics',
      method: 'GET',
      handler: async (_req, res) => {
        res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
        res.end(await deps.metrics.registry.metrics());
      },
    },
  ];
}
