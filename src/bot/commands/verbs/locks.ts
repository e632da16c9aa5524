import { lockDeploys, locksInForce, targetsOf, unlockDeploys } from '../../../core/usecases/locks.ts';
import { DURATION_PATTERN, parseDuration } from '../../../config/duration.ts';
import { escapeText } from '../../blocks/format.ts';
import { renderLocked, renderLocks, renderUnlocked } from '../../blocks/control.ts';
import { parseFlags } from '../args.ts';
import { CommandError } from '../command-error.ts';
import { verb } from '../types.ts';
import type { Settings } from '../../../core/settings.ts';

/** Every target relm.yml's deployment models name: a word among them is a target, not the reason's first word. */
function knownTargets(settings: Settings): Set<string> {
  return new Set(Object.values(settings.deploymentModels).flatMap((m) => m.waves.flatMap((w) => w.targets)));
}

export const lockVerb = verb({
  names: ['lock'],
  verbs: ['lock'],
  help: ({ service }) => `• \`lock ${escapeText(service)} [target …] <reason> [--for 2h]\`: holds every wave that touches it (expires by itself, 4h unless \`--for\`); \`unlock ${escapeText(service)} [target …]\`, \`locks\``,
  parse(_name, args) {
    const { positional, flags } = parseFlags(args, ['for']);
    const service = positional[0]?.toLowerCase();
    if (!service) throw new CommandError('`lock` needs a service and a reason: `/release lock payments eu-1 database migration --for 2h`.');
    const duration = flags.get('for')?.[0];
    if (duration !== undefined && !DURATION_PATTERN.test(duration)) throw new CommandError('`--for` takes a duration like 30m, 2h or 1d.');
    return { verb: 'lock', service, words: positional.slice(1), durationMs: duration === undefined ? undefined : parseDuration(duration) };
  },
  async run(deps, caller, command) {
    // Leading words that are targets in relm.yml are targets; the rest is the reason.
    const known = knownTargets(deps.ctx.settings);
    const targets: string[] = [];
    let i = 0;
    while (i < command.words.length && known.has(command.words[i]!)) targets.push(command.words[i++]!);
    const reason = command.words.slice(i).join(' ').trim();
    if (!reason) {
      targetsOf(deps.ctx, command.service);
      throw new CommandError(`\`lock\` needs a reason after the targets: \`/release lock ${escapeText(command.service)} ${targets.map(escapeText).join(' ')}${targets.length ? ' ' : ''}database migration\`.`);
    }
    if (reason.length > 300) throw new CommandError('A lock\'s reason takes at most 300 characters.');
    const lock = await lockDeploys(deps.ctx, caller.user, { service: command.service, targets, reason, durationMs: command.durationMs });
    return renderLocked(lock);
  },
});

export const unlockVerb = verb({
  names: ['unlock'],
  verbs: ['unlock'],
  help: () => '',
  parse(_name, args) {
    const service = args[0]?.toLowerCase();
    if (!service) throw new CommandError('`unlock` needs a service: `/release unlock payments` (or `/release unlock payments eu-1`).');
    return { verb: 'unlock', service, targets: args.slice(1) };
  },
  run: async (deps, caller, command) => renderUnlocked(await unlockDeploys(deps.ctx, caller.user, { service: command.service, targets: command.targets })),
});

export const locksVerb = verb({
  names: ['locks'],
  verbs: ['locks'],
  help: () => '',
  parse: (_name, args) => ({ verb: 'locks', service: args[0]?.toLowerCase() }),
  run: async (deps, _caller, command) => renderLocks(await locksInForce(deps.ctx, command.service), command.service),
});
