/** A command that could not be understood; `message` says how to write it. */
export class CommandError extends Error {
  override name = 'CommandError';
}
