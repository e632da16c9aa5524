import { abortRollout, continueRollout, pauseRollout, resumeRollout, retryWave, rollbackRollout, rolloutsBlocking, startRollout } from '../../../core/usecases/rollout/control.ts';
import { releaseKey } from '../../../core/release.ts';
import { escapeText } from '../../blocks/format.ts';
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
  help: () => '• `start REL-12` rolls out now (`--force`: a release manager starts it past a conflicting rollout); `pause`, `resume`, `retry` (the failed wave), `continue` (past it), `abort REL-12 <reason>`, `rollback REL-12 <reason>`',
  parse(name, args) {
    const force = args.slice(1).filter((a) => /^(--|—)force$/i.test(a));
    const rest = args.slice(1).filter((a) => !/^(--|—)force$/i.test(a));
    if (rest.length || (force.length && name !== 'start')) throw new CommandError(`\`${name}\` takes a release${name === 'start' ? ' and optionally `--force`' : ''}: \`/release ${name} REL-12${name === 'start' ? ' [--force]' : ''}\`.`);
    return { verb: name as Control, id: releaseId(args[0], name, `${name} REL-12`), ...(force.length ? { force: true } : {}) };
  },
  async run(deps, caller, command) {
    if (command.verb === 'start') {
      await startRollout(deps.ctx, caller.user, command.id, { force: command.force });
      if (command.force) return `:rocket: Starting *${releaseKey(command.id)}* now, past any conflicting rollout (recorded in the audit trail); each wave still waits for an open change window and deploy locks.`;
      const blocking = await rolloutsBlocking(deps.ctx, command.id);
      if (blocking.length) return `:hourglass: *${releaseKey(command.id)}* is started and waits for ${blocking.map((b) => `*${releaseKey(b.id)}* (${escapeText(b.service)} ${escapeText(b.version)})`).join(', ')} to finish rolling out; a release manager can pass it with \`/release start ${releaseKey(command.id)} --force\`.`;
    }
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
