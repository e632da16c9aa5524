import { abortRollout, continueRollout, pauseRollout, resumeRollout, retryWave, rollbackRollout, startRollout } from '../../../core/usecases/rollout/control.ts';
import { releaseKey } from '../../../core/release.ts';
import { releaseId } from '../args.ts';
import { CommandError } from '../command-error.ts';
import { verb } from '../types.ts';

type Control = 'start' | 'pause' | 'resume' | 'retry' | 'continue';

const CONTROLS: Record<Control, { use: typeof startRollout; answer: (key: string) => string }> = {
  start: { use: startRollout, answer: (key) => `:rocket: Starting *${key}* now; each wave still waits for an open change window.` },
  pause: { use: pauseRollout, answer: (key) => `:double_vertical_bar: Paused *${key}*.` },
  resume: { use: resumeRollout, answer: (key) => `:arrow_forward: Resumed *${key}*.` },
  retry: { use: retryWave, answer: (key) => `:repeat: Retrying the failed wave of *${key}*.` },
  continue: { use: continueRollout, answer: (key) => `:fast_forward: Continuing *${key}* with its next wave.` },
};

export const controlVerbs = verb({
  names: Object.keys(CONTROLS),
  verbs: Object.keys(CONTROLS) as Control[],
  help: () => '• `start REL-12` rolls out now; `pause`, `resume`, `retry` (the failed wave), `continue` (past it), `abort REL-12 <reason>`, `rollback REL-12 <reason>`',
  parse: (name, args) => ({ verb: name as Control, id: releaseId(args[0], name, `${name} REL-12`) }),
  async run(deps, caller, command) {
    const control = CONTROLS[command.verb];
    await control.use(deps.ctx, caller.user, command.id);
    return control.answer(releaseKey(command.id));
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
    const key = releaseKey(command.id);
    if (command.verb === 'abort') {
      await abortRollout(deps.ctx, caller.user, command.id, command.reason);
      return `:octagonal_sign: Aborted the rollout of *${key}*; it ends failed. Roll back from the card if needed.`;
    }
    await rollbackRollout(deps.ctx, caller.user, command.id, command.reason);
    return `:rewind: Rolling back *${key}*: each wave that started is rolled back, newest first.`;
  },
});
