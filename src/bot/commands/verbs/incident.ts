import { recordIncident, resolveIncidentOf } from '../../../core/usecases/incidents.ts';
import { releaseKey } from '../../../core/release.ts';
import { formatKpiValue } from '../../../core/kpi/format.ts';
import { clip } from '../../blocks/format.ts';
import { releaseId } from '../args.ts';
import { CommandError } from '../command-error.ts';
import { verb } from '../types.ts';

const RESOLVE_USAGE = 'incident resolve REL-12 <ticket or text>';

export const incidentVerb = verb({
  names: ['incident'],
  verbs: ['incident'],
  help: () =>
    [
      '• `incident REL-12 <ticket or text>`: records an incident caused by the release (`INC-42`, or a few words)',
      '• `incident resolve REL-12 <ticket or text>`: the incident is over (counts for the time to restore); an incident linked in Jira is resolved when its issue is done there',
    ].join('\n'),
  parse(_name, args) {
    // `resolve` first: no release key is a word, so `incident REL-12 …` reads as it always has.
    if (args[0]?.toLowerCase() === 'resolve') {
      const id = releaseId(args[1], 'incident resolve', RESOLVE_USAGE);
      const ref = args.slice(2).join(' ').trim();
      if (!ref) throw new CommandError('`incident resolve` needs the incident, as it was recorded: `/release incident resolve REL-12 INC-42`. `/release show REL-12` lists them.');
      return { verb: 'incident', id, ref, resolve: true };
    }
    const id = releaseId(args[0], 'incident', 'incident REL-12 <ticket or text>');
    const ref = args.slice(1).join(' ').trim();
    if (!ref) throw new CommandError('`incident` needs the incident: a Jira key or a few words, like `/release incident REL-12 INC-42` or `/release incident REL-12 checkout errors in eu-1`.');
    return { verb: 'incident', id, ref };
  },
  async run(deps, caller, command) {
    if (command.resolve) {
      const done = await resolveIncidentOf(deps.ctx, caller.user, command.id, command.ref);
      const took = formatKpiValue('hours', (done.resolvedAt.getTime() - done.recordedAt.getTime()) / 3_600_000);
      return done.resolved
        ? `:white_check_mark: Resolved the incident of *${releaseKey(command.id)}*: ${clip(done.ref, 300)}, ${took} after it was recorded.`
        : `That incident of *${releaseKey(command.id)}* was resolved already (${took} after it was recorded).`;
    }
    const recorded = await recordIncident(deps.ctx, caller.user, command.id, command.ref, 'slack');
    return recorded ? `:rotating_light: Recorded an incident caused by *${releaseKey(command.id)}*: ${clip(command.ref, 300)}` : `That incident is already recorded against *${releaseKey(command.id)}*.`;
  },
});
