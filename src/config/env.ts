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
  JIRA_WEBHOOK_SECRET: optional,
  GITHUB_TOKEN: optional,
  GITHUB_API_URL: z.string().url().default('https://api.github.com'),
  GITHUB_WEBHOOK_SECRET: optional,
  RELM_PUBLIC_URL: z.string().url().optional().catch(undefined),
  RELM_JOB_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  /** How long one call to GitHub or Jira may take before it is abandoned and retried. */
  RELM_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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

/** Slack is configured when a bot token and a way to receive requests are both present. */
export function slackConfigured(env: Env): boolean {
  return Boolean(env.SLACK_BOT_TOKEN && (env.SLACK_SIGNING_SECRET || env.SLACK_APP_TOKEN));
}
