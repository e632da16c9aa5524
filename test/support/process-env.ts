/**
 * The variables that set a process's clock (libfaketime's, as `.ci/run` uses for the shifted-clock
 * run): relm processes a test starts must run on the test's own clock, as the processes of one
 * install share one clock; the servers relm depends on (Redis) keep the real time, as they do in CI.
 */
export function clockEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter(([key, value]) => value !== undefined && (key === 'LD_PRELOAD' || key.startsWith('FAKETIME') || key.startsWith('DONT_FAKE'))) as [string, string][]);
}

/** This process's environment without the clock's, for a server that must keep the real time. */
export function realClockEnv(): Record<string, string> {
  const clock = clockEnv();
  return Object.fromEntries(Object.entries(process.env).filter(([key, value]) => value !== undefined && !(key in clock))) as Record<string, string>;
}
