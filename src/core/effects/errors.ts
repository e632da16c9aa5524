/** Thrown by a publisher when retrying cannot help; the effect is marked failed for good. */
export class PermanentEffectError extends Error {
  override name = 'PermanentEffectError';
}

/** Thrown when an effect must wait for another (a thread note before its card exists). */
export class EffectNotReadyError extends Error {
  override name = 'EffectNotReadyError';
}

/** Thrown when the effect must wait until a moment (a DM held through its reader's quiet hours). */
export class EffectDeferredError extends Error {
  override name = 'EffectDeferredError';
  readonly until: Date;
  constructor(until: Date, why: string) {
    super(why);
    this.until = until;
  }
}

/** Thrown when Slack (or another API) answered 429: nothing is sent on that lane for `retryAfterMs`. */
export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
  readonly retryAfterMs: number;
  constructor(what: string, retryAfterMs: number) {
    super(`${what} is rate limited for ${Math.ceil(retryAfterMs / 1000)} s`);
    this.retryAfterMs = retryAfterMs;
  }
}
