/**
 * A user-supplied fragment quoted inside a domain message: shortened, and stripped of the characters
 * chat markup gives meaning to, so an error can never mention or link anything.
 */
export function fragment(text: string, max = 60): string {
  const clean = text.replace(/[<>&]/g, '').replace(/\s+/g, ' ');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

const TIME_MARK = /\{\{t:(-?\d+)\}\}/g;
const PERSON_MARK = /\{\{(u|s):([A-Z0-9]+)\}\}/g;

/** A Slack user (U…/W…) or user group (S…) inside a domain message, for the edge to render as a mention. */
export function whoMark(id: string): string {
  if (/^[UW][A-Z0-9]+$/.test(id)) return `{{u:${id}}}`;
  if (/^S[A-Z0-9]+$/.test(id)) return `{{s:${id}}}`;
  return fragment(id, 60);
}

/** Replaces every user and group mark in `text` with what `render` makes of it. */
export function replacePersonMarks(text: string, render: (kind: 'user' | 'group', id: string) => string): string {
  return text.replace(PERSON_MARK, (_, kind: string, id: string) => render(kind === 'u' ? 'user' : 'group', id));
}

/**
 * An instant inside a domain message, left for the edge to render in each reader's own timezone
 * (Slack's `<!date^…>`, the console's local time); core never formats times for people.
 */
export function timeMark(date: Date): string {
  return `{{t:${date.getTime()}}}`;
}

/** Replaces every time mark in `text` with what `render` makes of its instant. */
export function replaceTimeMarks(text: string, render: (date: Date) => string): string {
  return text.replace(TIME_MARK, (_, ms: string) => render(new Date(Number(ms))));
}
