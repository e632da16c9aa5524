import { whoami } from '../../../core/usecases/access.ts';
import { renderWhoami } from '../../blocks/control.ts';
import { verb } from '../types.ts';

export const whoamiVerb = verb({
  names: ['whoami'],
  verbs: ['whoami'],
  help: () => '• `whoami`: what you may do on each service (plan, approve which types, install, manage releases, lock)',
  parse: () => ({ verb: 'whoami' }),
  run: async (deps, caller) => renderWhoami(await whoami(deps.ctx, caller.user)),
});
