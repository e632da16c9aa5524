import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';

/**
 * The last line of defence: an error nothing awaited (a library's stray promise, a timer callback)
 * is logged with a ref and the process keeps serving. relm's requests and jobs are independent and
 * their state lives in the database, so one failure is no reason to drop everyone else's work; the
 * ref lets whoever runs relm find the stack when a user quotes it.
 */
export function guardProcess(log: Logger): void {
  const onRejection = (reason: unknown) => log.error({ err: reason, ref: randomBytes(4).toString('hex') }, 'unhandled rejection; relm keeps serving');
  const onException = (error: Error) => log.error({ err: error, ref: randomBytes(4).toString('hex') }, 'uncaught exception; relm keeps serving');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
}
