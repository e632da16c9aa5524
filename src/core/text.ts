/**
 * A user-supplied fragment quoted inside a domain message: shortened, and stripped of the characters
 * chat markup gives meaning to, so an error can never mention or link anything.
 */
export function fragment(text: string, max = 60): string {
  const clean = text.replace(/[<>&]/g, '').replace(/\s+/g, ' ');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

const TIME_MARK = /\{\{t:(-?\d+)\}\}/g;

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
