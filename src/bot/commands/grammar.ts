import { fragment } from '../../core/text.ts';
import { CommandError } from './command-error.ts';
import { tokenize } from './args.ts';
import { parseWhen } from './when.ts';
import { verbNamed } from './verbs/index.ts';
import type { CommandReading, ReleaseCommand } from './types.ts';

export { CommandError, parseWhen, tokenize };
export type { CommandReading, PlanFlags, ReleaseCommand } from './types.ts';

const MAX_LENGTH = 4_000;

/** True when the command holds a time its writer typed, which is read in their own Slack timezone. */
export function readsTime(text: string): boolean {
  const [verbToken, ...args] = tokenize(text.trim().slice(0, MAX_LENGTH));
  return verbNamed((verbToken ?? '').toLowerCase())?.readsTime?.(args) ?? false;
}

/** Parses the text after `/release` by the spec of its verb. Throws CommandError with a helpful message. */
export function parseReleaseCommand(text: string, reading: CommandReading): ReleaseCommand {
  if (text.length > MAX_LENGTH) throw new CommandError(`That command is ${text.length} characters long; /release takes at most ${MAX_LENGTH}.`);
  const [verbToken, ...args] = tokenize(text.trim());
  const name = (verbToken ?? 'help').toLowerCase();
  const spec = verbNamed(name);
  if (!spec) throw new CommandError(`I don't know \`${fragment(name, 30)}\`. Try \`/release help\`.`);
  return spec.parse(name, args, reading);
}
