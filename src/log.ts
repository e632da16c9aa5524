import pino, { type Logger, type DestinationStream } from 'pino';

/** Fields that may hold a secret; pino replaces them before a line is written. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'headers.authorization',
  '*.headers.authorization',
  'config.headers.Authorization',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'JIRA_API_TOKEN',
  'GITHUB_TOKEN',
  '*.SLACK_BOT_TOKEN',
  '*.SLACK_SIGNING_SECRET',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { app: 'relm' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}
