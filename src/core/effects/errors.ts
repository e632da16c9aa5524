/** Thrown by a publisher when retrying cannot help; the effect is marked failed for good. */
export class PermanentEffectError extends Error {
  override name = 'PermanentEffectError';
}

/** Thrown when an effect must wait for another (a thread note before its card exists). */
export class EffectNotReadyError extends Error {
  override name = 'EffectNotReadyError';
}
