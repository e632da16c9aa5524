import { recordIncident } from '../../../core/usecases/incidents.ts';
import { releaseKey } from '../../../core/release.ts';
import { clip } from '../../blocks/format.ts';
import { releaseId } from '../args.ts';
import { CommandError } from '../command-error.ts';
import { verb } from '../types.ts';

export const incidentVerb = verb({
  names: ['incident'],
  verbs: ['incident'],
  help: () => '• `incident REL-12 <ticket or text>`: records an incident caused by the release (`INC-42`, or a few words)',
  parse(_name, args) {
    const id = releaseId(args[0], 'incident', 'incident REL-12 <ticket or text>');
    const ref = args.slice(1).join(' ').trim();
    if (!ref) throw new CommandError('`incident` needs the incident: a Jira key or a few words, like `/release incident REL-12 INC-42` or `/release incident REL-12 checkout errors in eu-1`.');
    return { verb: 'incident', id, ref };
  },
  async run(deps, caller, command) {
    const recorded = await recordIncident(deps.ctx, caller.user, command.id, command.ref, 'slack');
    return recorded ? `:rotating_light: Recorded an incident caused by *${releaseKey(command.id)}*: ${clip(command.ref, 300)}` : `That incident is already recorded against *${releaseKey(command.id)}*.`;
  },
});
