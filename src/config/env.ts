import { z } from 'zod';

const optional = z.string().trim().min(1).optional().catch(undefined);

/** The environment variables of CONTRACT.md, validated once at boot. */
const EnvSchema = z.object({
  SLACK_BOT_TOKEN: optional,
  SLACK_SIGNING_SECRET: optional,
  SLACK_APP_TOKEN: optional,
  SLACK_API_URL: z.string().url().default('https://slack.com/api/'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: optional,
  RELM_DATA_DIR: z.string().default('./data'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  RELM_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/, 'letters, digits, ":", "_" or "-"').default('relm'),
  RELM_CONFIG: z.string().default('./relm.yml'),
  JIRA_HOST: optional,
  JIRA_EMAIL: optional,
  JIRA_API_TOKEN: optional,
  /** `cloud` (REST v3, JIRA_EMAIL + API token) or `datacenter` (REST v2, JIRA_API_TOKEN as a Personal Access Token). */
  JIRA_DEPLOYMENT: z.preprocess((v) => (typeof v === 'string' && v.trim() ? v.trim().toLowerCase() : undefined), z.enum(['cloud', 'datacenter']).optional()),
  JIRA_WEBHOOK_SECRET: optional,
  GITHUB_TOKEN: optional,
  GITHUB_API_URL: z.string().url().default('https://api.github.com'),
  GITHUB_WEBHOOK_SECRET: optional,
  /** The GitHub App that answers custom deployment protection rules: its id and its private key (PEM). */
  GITHUB_APP_ID: z.string().trim().regex(/^\d+$/, 'the App ID, a number (the App settings page, "About")').optional().or(z.literal('').transform(() => undefined)),
  GITHUB_APP_PRIVATE_KEY: optional,
  RELM_PUBLIC_URL: z.string().url().optional().catch(undefined),
  RELM_JOB_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  // Personal notices (DMs) per second, shared by every worker process: Slack's workspace-wide posting limit.
  RELM_NOTICES_PER_SECOND: z.coerce.number().int().min(1).max(1_000).default(20),
  // Posts one channel may take at once before relm spaces them a second apart (Slack allows short bursts).
  RELM_CHANNEL_BURST: z.coerce.number().int().min(1).max(10_000).default(3),
  /** How long one call to GitHub or Jira may take before it is abandoned and retried. */
  RELM_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /** The secret in the calendar feed's URL (`GET /calendar.ics?token=…`); no token, no feed. */
  RELM_CALENDAR_TOKEN: optional,
  /** The queue dashboard's secret (`/admin/queues`); no token, no dashboard. */
  RELM_ADMIN_TOKEN: optional,
  /** `true` lets the dashboard retry, remove and clean jobs; read-only otherwise. */
  RELM_ADMIN_WRITE: z.preprocess((v) => (typeof v === 'string' && v.trim().toLowerCase() === 'true' ? 'true' : 'false'), z.enum(['true', 'false'])),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}).superRefine((env, ctx) => {
  const problem = jiraProblem(env);
  if (problem) ctx.addIssue({ code: 'custom', path: [problem.variable], message: problem.message });
});

export type Env = z.infer<typeof EnvSchema>;

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

type JiraEnv = Pick<Env, 'JIRA_HOST' | 'JIRA_EMAIL' | 'JIRA_API_TOKEN' | 'JIRA_DEPLOYMENT'>;

/** Where relm's change tickets live, and how it signs in there. */
export type JiraConnection =
  | { deployment: 'cloud'; host: string; email: string; token: string }
  | { deployment: 'datacenter'; host: string; token: string };

/**
 * JIRA_DEPLOYMENT, or its default: `cloud` when JIRA_HOST is an Atlassian Cloud site (`*.atlassian.net`)
 * or JIRA_EMAIL is set (only Cloud signs in with an email), else `datacenter`.
 */
export function jiraDeployment(env: JiraEnv): 'cloud' | 'datacenter' {
  if (env.JIRA_DEPLOYMENT) return env.JIRA_DEPLOYMENT;
  let hostname = env.JIRA_HOST ?? '';
  try {
    hostname = new URL(hostname).hostname;
  } catch {
    // not a URL: compare the text as given
  }
  return hostname.toLowerCase().endsWith('.atlassian.net') || env.JIRA_EMAIL ? 'cloud' : 'datacenter';
}

/**
 * An inconsistent Jira setting, or none. Jira counts as meant to be on when JIRA_HOST is set with
 * JIRA_API_TOKEN or JIRA_DEPLOYMENT; JIRA_HOST alone (or nothing) leaves it off as before.
 */
export function jiraProblem(env: JiraEnv): { variable: keyof JiraEnv; message: string } | undefined {
  if (!env.JIRA_HOST) return undefined;
  if (!env.JIRA_API_TOKEN && !env.JIRA_DEPLOYMENT) return undefined;
  const deployment = jiraDeployment(env);
  const why = env.JIRA_DEPLOYMENT ? 'JIRA_DEPLOYMENT is cloud' : 'JIRA_HOST is an atlassian.net site, so JIRA_DEPLOYMENT defaults to cloud';
  if (deployment === 'cloud' && !env.JIRA_EMAIL) {
    return { variable: 'JIRA_EMAIL', message: `${why}, which signs in with JIRA_EMAIL and JIRA_API_TOKEN (an API token from id.atlassian.com): set JIRA_EMAIL, or set JIRA_DEPLOYMENT=datacenter to use JIRA_API_TOKEN as a Data Center Personal Access Token` };
  }
  if (!env.JIRA_API_TOKEN) {
    return { variable: 'JIRA_API_TOKEN', message: deployment === 'cloud' ? 'JIRA_DEPLOYMENT is cloud but JIRA_API_TOKEN is not set: create an API token at id.atlassian.com' : 'JIRA_DEPLOYMENT is datacenter but JIRA_API_TOKEN is not set: set it to a Personal Access Token (Jira profile → Personal Access Tokens)' };
  }
  return undefined;
}

/** The Jira connection, or undefined when Jira is off (not configured, or configured inconsistently). */
export function jiraConnection(env: JiraEnv): JiraConnection | undefined {
  if (!env.JIRA_HOST || !env.JIRA_API_TOKEN || jiraProblem(env)) return undefined;
  const deployment = jiraDeployment(env);
  if (deployment === 'cloud') return env.JIRA_EMAIL ? { deployment, host: env.JIRA_HOST, email: env.JIRA_EMAIL, token: env.JIRA_API_TOKEN } : undefined;
  // Data Center signs in with the token alone; JIRA_EMAIL, if set, is not used.
  return { deployment, host: env.JIRA_HOST, token: env.JIRA_API_TOKEN };
}

/** Slack is configured when a bot token and a way to receive requests are both present. */
export function slackConfigured(env: Env): boolean {
  return Boolean(env.SLACK_BOT_TOKEN && (env.SLACK_SIGNING_SECRET || env.SLACK_APP_TOKEN));
}

/**
 * What a half-configured Slack connection lacks (some Slack variables set, not enough to connect), or
 * undefined when Slack is configured or not configured at all. A server must not quietly become the console.
 */
export function slackConfigGap(env: Env): string | undefined {
  if (slackConfigured(env)) return undefined;
  const set = (['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const).filter((name) => env[name]);
  if (set.length === 0) return undefined;
  const missing = env.SLACK_BOT_TOKEN ? 'SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)' : 'SLACK_BOT_TOKEN (the xoxb- bot token)';
  return `relm: ${set.join(' and ')} ${set.length === 1 ? 'is' : 'are'} set but ${missing} is not, so relm cannot connect to Slack. Set it, or unset ${set.join(' and ')} to use the local console.`;
}
