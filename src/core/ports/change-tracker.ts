/**
 * A relm value for a mapped ticket field. The tracker formats it by the field's type on its site (a
 * time becomes a datetime or a date, text an option or a string); null clears the field.
 */
export interface TicketField {
  /** The tracker's field id, e.g. customfield_10061. */
  id: string;
  /** relm's name for it (`jira.fields.<name>`), so an error can say which mapping is wrong. */
  name: string;
  value: Date | string | null;
}

/** A change ticket as relm raises it: the tracker turns the sections into its own rich text. */
export interface ChangeTicket {
  project: string;
  issueType: string;
  summary: string;
  sections: { heading: string; text: string }[];
  /** A label unique to the release, so a retry finds the ticket an earlier attempt raised. */
  correlation: string;
  /** Mapped fields; those without a value are left unset. */
  fields?: TicketField[];
  /** Issues the new one is linked to as it is created (by a link type's name), e.g. a follow-up to its change ticket. */
  links?: { type: string; key: string }[];
}

/** What became of linking a ticket to the work items its plan mentions. */
export interface LinkOutcome {
  linked: string[];
  /** Linked before (by an earlier attempt or by hand): not linked again. */
  already: string[];
  /** Keys the tracker does not know (or relm may not see): reported, not fatal. */
  missing: string[];
}

/** Where change tickets (RFCs) live: Jira in relm. */
export interface ChangeTracker {
  /** Raises the ticket, or finds the one an earlier attempt raised; `id` is the tracker's stable issue id. */
  raise(ticket: ChangeTicket): Promise<{ key: string; id: string; created: boolean }>;
  /** Moves the ticket by the transition's name; 'not_available' when the workflow offers no such transition now. */
  moveTo(key: string, transitionName: string): Promise<'moved' | 'not_available'>;
  comment(key: string, text: string): Promise<void>;
  /** Sets mapped fields (and the description, when given) on a raised ticket. */
  update(key: string, change: { fields: TicketField[]; sections?: ChangeTicket['sections'] }): Promise<void>;
  /** Links the ticket to other issues by a link type's name, skipping issues it is linked to already. */
  link(key: string, others: string[], linkType: string): Promise<LinkOutcome>;
  /** An issue's key and type name by id or key; undefined when it does not exist. */
  describe(idOrKey: string): Promise<{ key: string; type: string } | undefined>;
}

/** A refusal retrying will not change (a 400 for a bad field, a 403): shown on the release, not retried. */
export class ChangeTrackerRejectedError extends Error {
  override name = 'ChangeTrackerRejectedError';
}
