import { PermanentEffectError, RateLimitedError } from '../../core/effects/errors.ts';

/**
 * A Slack call that will fail the same way however often it is retried (bad channel, revoked token):
 * an effect that meets one fails for good.
 */
export class PermanentSlackError extends PermanentEffectError {
  readonly slackError: string;
  constructor(method: string, slackError: string) {
    super(`Slack ${method} failed: ${slackError}`);
    this.name = 'PermanentSlackError';
    this.slackError = slackError;
  }
}

const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'missing_scope',
  'invalid_blocks',
  'msg_too_long',
  'no_permission',
  'user_not_found',
  'cant_update_message',
  'message_not_found',
  'invalid_metadata_format',
  'invalid_arguments',
  'not_enabled',
  // A person relm cannot write to: deactivated, gone, or a bot.
  'user_disabled',
  'user_not_visible',
  'cannot_dm_bot',
  'users_not_found',
]);

/** Turns @slack/web-api's platform errors into PermanentSlackError where retrying cannot help. */
export function classifySlackError(method: string, error: unknown): unknown {
  if ((error as { code?: string }).code === 'slack_webapi_rate_limited_error') {
    return new RateLimitedError(`Slack ${method}`, Math.max(1, Number((error as { retryAfter?: number }).retryAfter ?? 1)) * 1_000);
  }
  const data = (error as { code?: string; data?: { error?: string } }).data;
  if ((error as { code?: string }).code === 'slack_webapi_platform_error' && data?.error && PERMANENT.has(data.error)) {
    return new PermanentSlackError(method, data.error);
  }
  return error;
}
