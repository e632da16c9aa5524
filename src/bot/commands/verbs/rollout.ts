import { abortRollout, continueRollout, pauseRollout, resumeRollout, retryWave, rollbackRollout, startRollout } from '../../../core/usecases/rollout/control.ts';
import { answers } from '../../blocks/replies.ts';
import { releaseId } from '../args.ts';
import { CommandError } from '../command-error.ts';
import { verb } from '../types.ts';

type Control = 'start' | 'pause' | 'resume' | 'retry' | 'continue';

const CONTROLS: Record<Control, { use: typeof startRollout; answer: (id: number) => string }> = {
  start: { use: startRollout, answer: answers.started },
  pause: { use: pauseRollout, answer: answers.paused },
  resume: { use: resumeRollout, answer: answers.resumed },
  retry: { use: retryWave, answer: answers.retried },
  continue: { use: continueRollout, answer: answers.continued },
};

export const controlVerbs = verb({
  names: Object.keys(CONTROLS),
  verbs: Object.keys(CONTROLS) as Control[],
  help: () => '• `start REL-12` rolls out now; `pause`, `resume`, `retry` (the failed wave), `continue` (past it), `abort REL-12 <reason>`, `rollback REL-12 <reason>`',
  parse: (name, args) => ({ verb: name as Control, id: releaseId(args[0], name, `${name} REL-12`) }),
  async run(deps, caller, command) {
    const control = CONTROLS[command.verb];
    await control.use(deps.ctx, caller.user, command.id);
    return control.answer(command.id);
  },
});

export const stopVerbs = verb({
  names: ['abort', 'rollback'],
  verbs: ['abort', 'rollback'],
  help: () => '',
  parse(name, args) {
    const reason = args.slice(1).join(' ').trim();
    const id = releaseId(args[0], name, `${name} REL-12 <reason>`);
    if (!reason) throw new CommandError(`\`${name}\` needs a reason: \`/release ${name} REL-12 error rate doubled in eu-1\`.`);
    return { verb: name as 'abort' | 'rollback', id, reason };
  },
  async run(deps, caller, command) {
    if (command.verb === 'abort') {
      await abortRollout(deps.ctx, caller.user, command.id, command.reason);
      return answers.aborted(command.id);
    }
    await rollbackRollout(deps.ctx, caller.user, command.id, command.reason);
    return answers.rollingBack(command.id);
  },
});
