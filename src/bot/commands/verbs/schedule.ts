import { scheduleRelease } from '../../../core/usecases/schedule.ts';
import { releaseKey } from '../../../core/release.ts';
import { renderMarks, slackTime } from '../../blocks/format.ts';
import { releaseId } from '../args.ts';
import { CommandError } from '../command-error.ts';
import { parseWhen } from '../when.ts';
import { verb } from '../types.ts';

export const scheduleVerb = verb({
  names: ['schedule'],
  verbs: ['schedule'],
  help: () => '• `schedule REL-12 tomorrow 10:00` sets or moves the planned start',
  readsTime: () => true,
  parse(_name, args, reading) {
    const id = releaseId(args[0], 'schedule', 'schedule REL-12 tomorrow 10:00');
    const when = args.slice(1).join(' ').trim();
    if (!when) throw new CommandError('`schedule` needs a time: `/release schedule REL-12 tomorrow 10:00` (or `+2h`, `mon 09:00`, `YYYY-MM-DD HH:mm`).');
    return { verb: 'schedule', id, at: parseWhen(when, reading.zone, reading.now) };
  },
  async run(deps, caller, command) {
    const { release, warnings } = await scheduleRelease(deps.ctx, caller.user, command.id, command.at);
    return [`:calendar: *${releaseKey(release.id)}* now starts ${slackTime(release.plannedStart!)}.`, ...warnings.map((w) => `• ${renderMarks(w)}`)].join('\n');
  },
});
