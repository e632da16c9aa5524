/**
 * V8 sizes its heap for the machine, not for relm: on a 24 GB host the old generation may grow to
 * 4 GB with a growth factor of 4 between collections, and the young generation to 64 MiB a
 * semi-space. A process whose live heap is ~60 MiB then sits at 400-800 MiB of RSS after a busy
 * minute, and V8 keeps the pages it grew into. These two limits keep relm near what it uses (see
 * bench/rss.ts); an operator's own value for either, in NODE_OPTIONS or on the command line, wins.
 */
export const HEAP_FLAGS = ['--max-old-space-size=1024', '--max-semi-space-size=8'];

/** The flags of HEAP_FLAGS this process was not started with. */
export function missingHeapFlags(execArgv: string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((flag) => flag.replace(/_/g, '-').split('=')[0]);
  return HEAP_FLAGS.filter((flag) => !given.includes(flag.split('=')[0]!));
}

/**
 * Starts this same command again, in this same process (execve: same pid, same stdio, signals still
 * reach it), with the heap flags it lacks. Where execve is not available (Windows) relm runs on as
 * it is. Call it before loading the rest of relm: nothing has started yet.
 */
export function withHeapFlags(): void {
  const missing = missingHeapFlags();
  if (missing.length === 0 || typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...missing, ...process.argv.slice(1)], process.env);
}
