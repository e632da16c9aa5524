/** A change ticket as relm raises it: the tracker turns the sections into its own rich text. */
export interface ChangeTicket {
  project: string;
  issueType: string;
  summary: string;
  sections: { heading: string; text: string }[];
  /** A label unique to the release, so a retry finds the ticket an earlier attempt raised. */
  correlation: string;
}

/** Where change tickets (RFCs) live: Jira in relm. */
export interface ChangeTracker {
  raise(ticket: ChangeTicket): Promise<{ key: string; created: boolean }>;
  /** Moves the ticket by the transition's name; 'not_available' when the workflow offers no such transition now. */
  moveTo(key: string, transitionName: string): Promise<'moved' | 'not_available'>;
  comment(key: string, text: string): Promise<void>;
}

/** A refusal retrying will not change (a 400 for a bad field, a 403): shown on the release, not retried. */
export class ChangeTrackerRejectedError extends Error {
  override name = 'ChangeTrackerRejectedError';
}
