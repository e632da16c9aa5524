/**
 * A user-supplied fragment quoted inside a domain message: shortened, and stripped of the characters
 * chat markup gives meaning to, so an error can never mention or link anything.
 */
export function fragment(text: string, max = 60): string {
  const clean = text.replace(/[<>&]/g, '').replace(/\s+/g, ' ');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
