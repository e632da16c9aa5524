/**
 * A clock that starts at `start` and then runs at the real pace, for tests whose subject is a date
 * (a change window on a Tuesday, a freeze over New Year): the test picks the day, and time still passes
 * for bakes and timeouts. Any other test takes its times relative to the clock it runs with.
 */
export function clockFrom(start: string | Date): () => Date {
  const offset = new Date(start).getTime() - Date.now();
  return () => new Date(Date.now() + offset);
}
