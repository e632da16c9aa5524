import { submitRelease } from '../../../core/usecases/submit.ts';
import { approveRelease, rejectRelease } from '../../../core/usecases/decide.ts';
import { cancelRelease } from '../../../core/usecases/cancel.ts';
import { answers, renderApproved } from '../../blocks/replies.ts';
import { releaseId } from '../args.ts';
import { CommandError } from '../command-error.ts';
import { verb } from '../types.ts';

const rest = (args: string[]) => args.slice(1).join(' ').trim();

export const submitVerb = verb({
  names: ['submit'],
  verbs: ['submit'],
  help: () => '• `submit REL-12` asks the approvers (needs a rollback plan, and test evidence unless it is an emergency)',
  parse: (_name, args) => ({ verb: 'submit', id: releaseId(args[0], 'submit', 'submit REL-12') }),
  async run(deps, caller, command) {
    const release = await submitRelease(deps.ctx, caller.user, command.id);
    return answers.submitted(release);
  },
});

export const approveVerb = verb({
  names: ['approve'],
  verbs: ['approve'],
  help: () => '• `approve REL-12 [comment]`, `reject REL-12 <reason>`: the same as the buttons',
  parse: (_name, args) => ({ verb: 'approve', id: releaseId(args[0], 'approve', 'approve REL-12 [comment]'), comment: rest(args) || null }),
  run: async (deps, caller, command) => renderApproved(await approveRelease(deps.ctx, caller.user, command.id, command.comment)),
});

export const rejectVerb = verb({
  names: ['reject'],
  verbs: ['reject'],
  help: () => '',
  parse(_name, args) {
    const id = releaseId(args[0], 'reject', 'reject REL-12 <reason>');
    if (!rest(args)) throw new CommandError('`reject` needs a reason: `/release reject REL-12 the rollback plan is missing a step`.');
    return { verb: 'reject', id, reason: rest(args) };
  },
  async run(deps, caller, command) {
    await rejectRelease(deps.ctx, caller.user, command.id, command.reason);
    return answers.rejected(command.id);
  },
});

export const cancelVerb = verb({
  names: ['cancel'],
  verbs: ['cancel'],
  help: () => '• `cancel REL-12 [reason]` withdraws a release that has not started',
  parse: (_name, args) => ({ verb: 'cancel', id: releaseId(args[0], 'cancel', 'cancel REL-12 [reason]'), reason: rest(args) }),
  async run(deps, caller, command) {
    await cancelRelease(deps.ctx, caller.user, command.id, command.reason);
    return answers.cancelled(command.id);
  },
});
