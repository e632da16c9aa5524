import { reviewFacts, searchPastLessons } from '../../../core/usecases/review.ts';
import { renderLessons, reviewModal } from '../../blocks/review.ts';
import { releaseId } from '../args.ts';
import { CommandError } from '../command-error.ts';
import { verb } from '../types.ts';

export const reviewVerb = verb({
  names: ['review'],
  verbs: ['review'],
  help: () => '• `review REL-12`: the post-release review (the facts relm recorded, what went well and not, lessons, follow-up actions); `lessons <words>` searches the lessons of past reviews',
  parse: (_name, args) => ({ verb: 'review', id: releaseId(args[0], 'review', 'review REL-12') }),
  async run(deps, caller, command) {
    const facts = await reviewFacts(deps.ctx, caller.user, command.id);
    await deps.slack.client.views.open({ trigger_id: caller.triggerId, view: reviewModal(facts, { channel: caller.channel }) });
    return null;
  },
});

export const lessonsVerb = verb({
  names: ['lessons'],
  verbs: ['lessons'],
  help: () => '',
  parse(_name, args) {
    // The tokenizer took a quoted phrase as one word: quoted again, it stays a phrase for the search.
    const words = args.map((a) => (/\s/.test(a) ? `"${a.replace(/"/g, '')}"` : a)).join(' ').trim();
    if (!words) throw new CommandError('`lessons` needs words to look for, like `/release lessons database migration` or `/release lessons "feature flag" -mobile`.');
    return { verb: 'lessons', words };
  },
  run: async (deps, _caller, command) => renderLessons(command.words, await searchPastLessons(deps.ctx, command.words)),
});
