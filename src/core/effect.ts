/** A side effect to perform after commit (a Slack post, a Jira move, a deployment), written to the outbox. */
export interface OutboxMessage {
  kind: string;
  releaseId: number | null;
  /** Unique per side effect: the same key twice is one effect. */
  dedupeKey: string;
  payload: Record<string, unknown>;
  /** Not to be performed before this moment: a reminder, or a notice held through its reader's night. */
  notBefore?: Date;
}
