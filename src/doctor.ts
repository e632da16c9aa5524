import type { Settings } from './core/settings.ts';
import type { Writable } from 'node:stream';
import { jiraConnection, jiraDeployment, jiraProblem, type Env } from './config/env.ts';
import { ConfigFileError, loadRelmFile } from './config/relm-file.ts';
import { createDatabase, describeDatabase, migrator, pingDatabase } from './store/database.ts';
import { createRedis } from './jobs/redis.ts';
import { SlackWebApi } from './integrations/slack/web-api.ts';
import type { JiraChangeTracker } from './integrations/jira/jira-tracker.ts';
import { createJiraTracker, deploymentName } from './integrations/jira/create-jira-tracker.ts';
import { GitHubCodeHost } from './integrations/github/github-code-host.ts';
import { GitHubApp, checkAppPrivateKey } from './integrations/github/github-app.ts';
import { createLogger } from './log.ts';

/** `key:value` lines of an INFO section. */
function infoFields(text: string): Map<string, string> {
  return new Map(text.split(/\r?\n/).filter((l) => l.includes(':') && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
}

/**
 * What BullMQ needs of Redis: no eviction (an evicted key is a lost job or a broken queue), and
 * whether Redis persists. Persistence is reported, not required: relm rebuilds its jobs from
 * PostgreSQL when Redis comes back empty, but with AOF a restart keeps retries and history too.
 */
async function redisSetup(redis: ReturnType<typeof createRedis>): Promise<{ ok: boolean; detail: string; fix?: string }> {
  const memory = infoFields(await redis.info('memory'));
  const persistence = infoFields(await redis.info('persistence'));
  // CONFIG is often renamed or refused on managed Redis; INFO says as much as relm needs.
  const save = await redis.config('GET', 'save').then((r) => String((r as string[])[1] ?? ''), () => undefined);
  const policy = memory.get('maxmemory_policy') ?? 'unknown';
  const aof = persistence.get('aof_enabled') === '1';
  const rdb = save === undefined ? 'RDB snapshots unknown (CONFIG GET refused)' : save ? `RDB snapshots (save ${save})` : 'no RDB snapshots';
  const persists = `persistence: ${aof ? 'AOF on' : 'AOF off'}, ${rdb}`;
  const persistNote = aof ? '' : '; without AOF a restart loses the queues, which relm rebuilds from PostgreSQL (retry counts and job history are lost): `redis-server --appendonly yes` or `CONFIG SET appendonly yes` keeps them';
  if (policy !== 'noeviction') {
    return {
      ok: false,
      detail: `maxmemory-policy is ${policy}: Redis may evict BullMQ's keys under memory pressure, losing jobs; ${persists}`,
      fix: 'Set `maxmemory-policy noeviction` in redis.conf (or `redis-cli CONFIG SET maxmemory-policy noeviction`, or the parameter group of a managed Redis), and give Redis enough memory.' + persistNote,
    };
  }
  return { ok: true, detail: `maxmemory-policy noeviction; ${persists}${persistNote}` };
}

type Check = { name: string; run: () => Promise<{ ok: boolean; detail: string; fix?: string }> };

async function timed<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** `jira.fields` mappings whose ids the site does not have, as `name (id)`; none when relm.yml does not load. */
async function missingMappedFields(env: Env, jira: JiraChangeTracker): Promise<string[]> {
  let fields: Record<string, string | undefined>;
  try {
    fields = loadRelmFile(env.RELM_CONFIG).settings.jira.fields;
  } catch {
    return []; // the config file check reports it
  }
  const mapped = Object.entries(fields).filter((e): e is [string, string] => Boolean(e[1]));
  if (mapped.length === 0) return [];
  const missing = new Set(await jira.missingFields(mapped.map(([, id]) => id)));
  return mapped.filter(([, id]) => missing.has(id)).map(([name, id]) => `jira.fields.${name} (${id})`);
}

function checks(env: Env): Check[] {
  return [
    {
      name: 'config file',
      run: async () => {
        try {
          const { settings } = loadRelmFile(env.RELM_CONFIG);
          return { ok: true, detail: `${env.RELM_CONFIG}: ${count(Object.keys(settings.services).length, 'service', 'services')}, ${count(Object.keys(settings.policies).length, 'policy', 'policies')}` };
        } catch (error) {
          const message = error instanceof ConfigFileError ? error.message : (error as Error).message;
          return { ok: false, detail: message, fix: 'Fix the lines named above; the sample relm.yml in the repository is a valid start.' };
        }
      },
    },
    {
      name: 'wiring',
      run: async () => {
        let settings: Settings;
        try {
          settings = loadRelmFile(env.RELM_CONFIG).settings;
        } catch {
          return { ok: true, detail: 'skipped: relm.yml does not load (see above)' };
        }
        // What relm.yml asks of Jira and GitHub that the environment cannot give: releases would wait for ever.
        const problems: string[] = [];
        const services = (policy: string) => Object.values(settings.services).filter((s) => s.policy === policy).map((s) => s.key);
        for (const [name, policy] of Object.entries(settings.policies)) {
          if (policy.approvalSource === 'slack' || services(name).length === 0) continue;
          if (!env.JIRA_HOST) problems.push(`policy ${name} takes approvals from Jira (approval_source: ${policy.approvalSource}) but JIRA_HOST is not set`);
          else if (!env.JIRA_WEBHOOK_SECRET) problems.push(`policy ${name} takes approvals from Jira but JIRA_WEBHOOK_SECRET is not set, so Jira cannot tell relm`);
          for (const key of services(name)) if (!settings.services[key]!.jiraProject) problems.push(`service ${key} takes approvals from Jira but has no jira_project for its change tickets`);
        }
        for (const service of Object.values(settings.services)) {
          const model = settings.deploymentModels[service.deploymentModel];
          if (model?.deployer !== 'github') continue;
          if (!env.GITHUB_TOKEN) problems.push(`service ${service.key} deploys with the github deployer but GITHUB_TOKEN is not set`);
          if (!service.githubRepo) problems.push(`service ${service.key} deploys with the github deployer but has no github_repo`);
        }
        if (problems.length) return { ok: false, detail: problems.join('; '), fix: 'Set the variables named, or change the policy or deployment model in relm.yml.' };
        return { ok: true, detail: 'relm.yml asks nothing of Jira or GitHub that the environment lacks' };
      },
    },
    {
      name: 'database',
      run: async () => {
        const db = createDatabase({ url: env.DATABASE_URL, dataDir: env.RELM_DATA_DIR });
        try {
          await timed(5_000, pingDatabase(db));
          const pending = (await migrator(db).getMigrations()).filter((m) => !m.executedAt).length;
          return { ok: true, detail: `${describeDatabase({ url: env.DATABASE_URL, dataDir: env.RELM_DATA_DIR })}${pending ? `, ${pending} migration(s) pending (applied on the next start, or run \`npx relm migrate\`)` : ', migrations up to date'}` };
        } catch (error) {
          return { ok: false, detail: `${describeDatabase({ url: env.DATABASE_URL, dataDir: env.RELM_DATA_DIR })}: ${(error as Error).message}`, fix: env.DATABASE_URL ? 'Check DATABASE_URL and that PostgreSQL accepts connections.' : `Check that ${env.RELM_DATA_DIR} is writable, or set DATABASE_URL.` };
        } finally {
          await db.destroy().catch(() => {});
        }
      },
    },
    {
      name: 'redis',
      run: async () => {
        const redis = createRedis(env.REDIS_URL, { name: 'relm-doctor', forWorker: true });
        try {
          await timed(3_000, redis.ping());
          return { ok: true, detail: `${env.REDIS_URL.replace(/\/\/[^@]*@/, '//***@')} answers` };
        } catch (error) {
          return { ok: false, detail: `${env.REDIS_URL}: ${(error as Error).message}`, fix: 'Start Redis (`redis-server --daemonize yes`, or `docker run -p 6379:6379 redis`) or set REDIS_URL.' };
        } finally {
          redis.disconnect();
        }
      },
    },
    {
      name: 'redis setup',
      run: async () => {
        const redis = createRedis(env.REDIS_URL, { name: 'relm-doctor', forWorker: true });
        try {
          return await timed(3_000, redisSetup(redis));
        } catch (error) {
          return { ok: true, detail: `skipped: ${(error as Error).message} (see above)` };
        } finally {
          redis.disconnect();
        }
      },
    },
    {
      name: 'slack',
      run: async () => {
        if (!env.SLACK_BOT_TOKEN) return { ok: true, detail: 'not configured: `npm start` opens the local console' };
        if (!env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) return { ok: false, detail: 'SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP) nor SLACK_APP_TOKEN (Socket Mode)', fix: 'Copy the signing secret from the app\'s Basic Information page.' };
        try {
          const who = await timed(10_000, new SlackWebApi({ token: env.SLACK_BOT_TOKEN, apiUrl: env.SLACK_API_URL, retries: 0 }).authTest());
          return { ok: true, detail: `auth.test: bot ${who.user} in ${who.team} (${env.SLACK_APP_TOKEN ? 'Socket Mode' : 'HTTP mode'})` };
        } catch (error) {
          return { ok: false, detail: `auth.test failed: ${(error as Error).message}`, fix: 'Check SLACK_BOT_TOKEN (xoxb-…) and that the app is installed in the workspace.' };
        }
      },
    },
    {
      name: 'jira',
      run: async () => {
        if (!env.JIRA_HOST) return { ok: true, detail: 'not configured: change tickets are off (set JIRA_HOST and JIRA_API_TOKEN, plus JIRA_EMAIL for Jira Cloud)' };
        const deployment = jiraDeployment(env);
        const problem = jiraProblem(env);
        if (problem) return { ok: false, detail: `${problem.variable}: ${problem.message}`, fix: 'Set JIRA_DEPLOYMENT (cloud | datacenter) and the credentials it needs.' };
        const connection = jiraConnection(env);
        if (!connection) {
          return deployment === 'cloud'
            ? { ok: false, detail: 'JIRA_HOST is set but JIRA_EMAIL or JIRA_API_TOKEN is not (Jira Cloud)', fix: 'Create an API token at id.atlassian.com and set both.' }
            : { ok: false, detail: 'JIRA_HOST is set but JIRA_API_TOKEN is not (Jira Data Center)', fix: 'Create a Personal Access Token (Jira profile → Personal Access Tokens) and set it as JIRA_API_TOKEN.' };
        }
        const where = `${env.JIRA_HOST} (${deploymentName(deployment)})`;
        try {
          const jira = createJiraTracker(connection, { timeoutMs: env.RELM_HTTP_TIMEOUT_MS });
          const who = await timed(10_000, jira.whoAmI());
          const signedIn = `${where}: signed in as ${who}; ${env.JIRA_WEBHOOK_SECRET ? 'webhook secret set' : 'no JIRA_WEBHOOK_SECRET, so POST /webhooks/jira is off'}`;
          const missing = await timed(10_000, missingMappedFields(env, jira));
          if (missing.length) return { ok: false, detail: `${signedIn}; not fields on this site: ${missing.join(', ')}`, fix: `Correct jira.fields in relm.yml: GET ${jira.api.fieldsPath} (or Jira settings → Issues → Custom fields) lists the ids.` };
          return { ok: true, detail: signedIn };
        } catch (error) {
          return {
            ok: false,
            detail: `${where}: ${(error as Error).message}`,
            fix: deployment === 'cloud' ? 'Check JIRA_HOST (https://your-site.atlassian.net), JIRA_EMAIL and JIRA_API_TOKEN.' : 'Check JIRA_HOST (your Data Center base URL, with any context path) and that JIRA_API_TOKEN is a valid Personal Access Token; or set JIRA_DEPLOYMENT=cloud.',
          };
        }
      },
    },
    {
      name: 'github',
      run: async () => {
        const hook = env.GITHUB_WEBHOOK_SECRET ? 'webhook secret set' : 'no GITHUB_WEBHOOK_SECRET, so POST /webhooks/github is off';
        if (!env.GITHUB_TOKEN) return { ok: true, detail: `not configured: releases and the github deployer are off (set GITHUB_TOKEN); ${hook}` };
        try {
          const host = new GitHubCodeHost({ token: env.GITHUB_TOKEN, apiUrl: env.GITHUB_API_URL, log: createLogger('silent'), timeoutMs: env.RELM_HTTP_TIMEOUT_MS });
          const me = await timed(10_000, host.octokit.rest.users.getAuthenticated());
          return { ok: true, detail: `${env.GITHUB_API_URL}: signed in as ${me.data.login}; ${hook}` };
        } catch (error) {
          return { ok: false, detail: `${env.GITHUB_API_URL}: ${(error as Error).message}`, fix: 'Check GITHUB_TOKEN (contents and deployments: read and write) and GITHUB_API_URL (https://HOST/api/v3 for GitHub Enterprise Server).' };
        }
      },
    },
    {
      name: 'github app',
      run: async () => {
        if (!env.GITHUB_APP_ID && !env.GITHUB_APP_PRIVATE_KEY) return { ok: true, detail: 'not configured: relm does not answer deployment protection rules (set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)' };
        if (!env.GITHUB_APP_ID || !env.GITHUB_APP_PRIVATE_KEY) return { ok: false, detail: `${env.GITHUB_APP_ID ? 'GITHUB_APP_PRIVATE_KEY' : 'GITHUB_APP_ID'} is not set`, fix: 'Set both: the App ID from the App\'s settings page and the private key (.pem) generated there.' };
        try {
          checkAppPrivateKey(env.GITHUB_APP_PRIVATE_KEY);
        } catch (error) {
          return { ok: false, detail: (error as Error).message, fix: 'Generate a private key on the App\'s settings page and set its whole PEM text (newlines may be written as \\n).' };
        }
        try {
          const app = new GitHubApp({ appId: env.GITHUB_APP_ID, privateKey: env.GITHUB_APP_PRIVATE_KEY, apiUrl: env.GITHUB_API_URL, log: createLogger('silent'), timeoutMs: env.RELM_HTTP_TIMEOUT_MS });
          const me = await timed(10_000, app.app());
          return { ok: true, detail: `${env.GITHUB_API_URL}: GET /app answers as ${me.slug || me.name} (App ${env.GITHUB_APP_ID}); the key parses` };
        } catch (error) {
          return { ok: false, detail: `the key parses, but GET /app failed: ${(error as Error).message}`, fix: 'Check GITHUB_APP_ID matches the key\'s App, and GITHUB_API_URL.' };
        }
      },
    },
  ];
}

/** Runs every check, prints one line each (and a fix for failures); returns the exit code. */

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export async function runDoctor(env: Env, out: Writable): Promise<number> {
  let failed = 0;
  for (const check of checks(env)) {
    const result = await check.run();
    if (!result.ok) failed++;
    out.write(`${result.ok ? '✔' : '✘'} ${check.name.padEnd(12)} ${result.detail}\n`);
    if (!result.ok && result.fix) out.write(`  ${' '.repeat(12)} fix: ${result.fix}\n`);
  }
  out.write(failed ? `\n${failed} check(s) failed.\n` : '\nAll checks passed.\n');
  return failed ? 1 : 0;
}
