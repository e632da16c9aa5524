import type { BotDeps } from '../deps.ts';
import type { CommandAnswer, CommandCaller, ReleaseCommand } from './types.ts';
import { VERBS } from './verbs/index.ts';

export type { CommandCaller } from './types.ts';

/** Runs one parsed command by its verb's spec; returns the ephemeral answer, or null when a modal answers instead. */
export async function runCommand(deps: BotDeps, caller: CommandCaller, command: ReleaseCommand): Promise<CommandAnswer> {
  const spec = VERBS.find((s) => (s.verbs as readonly string[]).includes(command.verb))!;
  return spec.run(deps, caller, command);
}
