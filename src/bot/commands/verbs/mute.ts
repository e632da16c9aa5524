import { setMuted } from '../../../core/usecases/mute.ts';
import { escapeText } from '../../blocks/format.ts';
import { CommandError } from '../command-error.ts';
import { verb } from '../types.ts';

function serviceArg(name: string, args: string[]): string {
  const [service, ...extra] = args;
  if (!service || extra.length) throw new CommandError(`\`${name}\` takes one service, like \`/release ${name} payments\`.`);
  return service;
}

export const muteVerbs = verb({
  names: ['mute', 'unmute'],
  verbs: ['mute', 'unmute'],
  help: () => '• `mute <service>` / `unmute <service>`: stop or restart the direct messages a service’s releases send you (channel posts stay)',
  parse(name, args) {
    return { verb: name as 'mute' | 'unmute', service: serviceArg(name, args) };
  },
  async run(deps, caller, command) {
    const muted = command.verb === 'mute';
    const { service, changed } = await setMuted(deps.ctx, caller.user, command.service, muted);
    const name = `*${escapeText(service)}*`;
    if (muted) return changed ? `:no_bell: You will get no more direct messages about ${name} releases. Its channel posts stay; \`/release unmute ${escapeText(service)}\` brings the messages back.` : `You had already muted ${name}.`;
    return changed ? `:bell: You will get direct messages about ${name} releases again.` : `${name} was not muted for you.`;
  },
});
