/** Codes a caller can branch on; the message is written for the person who pressed the button. */
export type DomainErrorCode =
  | 'not_found'
  | 'invalid_input'
  | 'illegal_transition'
  | 'not_authorised'
  | 'self_approval'
  | 'already_decided'
  | 'version_not_increasing'
  | 'duplicate_version'
  | 'config'
  | 'conflict';

/** A failure the user can act on. The bot turns it into an ephemeral reply. */
export class DomainError extends Error {
  readonly code: DomainErrorCode;
  /** The input field at fault, when there is one, so a form can show the message beside it. */
  readonly field: string | undefined;
  constructor(code: DomainErrorCode, message: string, options: { field?: string } = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.field = options.field;
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
