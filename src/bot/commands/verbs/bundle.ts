import { approveBundle, addToBundle, createBundle, orderBundle, removeFromBundle, showBundle, type BundleView } from '../../../core/usecases/bundles.ts';
import { continueBundle, retryBundle, rollbackBundle, startBundle } from '../../../core/usecases/bundle-rollout.ts';
import { bundleAnswers } from '../../blocks/bundle-card.ts';
import { parseBundleRef } from '../../../core/bundles.ts';
import { parseReleaseKey } from '../../../core/release.ts';
import { isDomainError } from '../../../core/errors.ts';
import { escapeText, slackTime } from '../../blocks/format.ts';
import { parseFlags } from '../args.ts';
import { CommandError } from '../command-error.ts';
import { parseWhen } from '../when.ts';
import { verb } from '../types.ts';

const USAGE = '`/release bundle new "<name>" [--at <when>]`, `bundle add BUN-1 REL-12 REL-13`, `bundle remove BUN-1 REL-12`, `bundle order BUN-1 REL-13 --after REL-12`, `bundle show BUN-1`, `bundle approve BUN-1`, `bundle start|retry|continue BUN-1`, `bundle rollback BUN-1 <reason>`';

function bundleArg(token: string | undefined, action: string): number {
  if (!token) throw new CommandError(`\`bundle ${action}\` needs a bundle like BUN-3: ${USAGE}.`);
  try {
    return parseBundleRef(token);
  } catch (error) {
    if (isDomainError(error)) throw new CommandError(error.message);
    throw error;
  }
}

function memberArgs(tokens: string[], bundleId: number): number[] {
  return tokens.map((token) => {
    if (/^BUN-\d+$/i.test(token)) {
      throw new CommandError(parseBundleRef(token) === bundleId ? `A bundle cannot contain itself; add releases (REL-n) to BUN-${bundleId}.` : `A bundle cannot contain another bundle; add releases (REL-n) to BUN-${bundleId}.`);
    }
    const id = parseReleaseKey(token);
    if (id === undefined) throw new CommandError(`"${escapeText(token)}" is not a release; write REL-n. Nothing was changed.`);
    return id;
  });
}

function renderBundle(view: BundleView, lead: string): string {
  const { bundle, members } = view;
  const head = `${lead}*BUN-${bundle.id}* “${escapeText(bundle.name)}” · ${bundle.state.replace('_', ' ')}${bundle.plannedStart ? ` · starts ${slackTime(bundle.plannedStart)}` : ''}`;
  if (members.length === 0) return `${head}\nNo members yet: \`/release bundle add BUN-${bundle.id} REL-12 REL-13\`.`;
  return [head, ...members.map((m, i) => `${i + 1}. REL-${m.releaseId} ${escapeText(m.service)} ${escapeText(m.version)} · ${m.state.replace('_', ' ')}`)].join('\n');
}

export const bundleVerb = verb({
  names: ['bundle'],
  verbs: ['bundle'],
  help: () =>
    '• `bundle new "Payments train" [--at <when>]`, `bundle add BUN-1 REL-12 REL-13` (run in that order), `bundle order BUN-1 REL-13 --after REL-12`, `bundle remove BUN-1 REL-12`, `bundle show BUN-1`, `bundle approve BUN-1`: ship releases as one unit with one approval\n• `bundle start BUN-1` (or at its `--at` time), `bundle retry BUN-1`, `bundle continue BUN-1`, `bundle rollback BUN-1 <reason>`: members roll out one after another; a failed one pauses the bundle',
  readsTime: (args) => args.some((a) => /^--at/i.test(a)),
  parse(_name, args, reading) {
    const action = args[0]?.toLowerCase();
    if (action === 'new') {
      const { positional, flags } = parseFlags(args.slice(1), ['at']);
      const name = positional.join(' ').trim();
      if (!name) throw new CommandError(`\`bundle new\` needs a name: \`/release bundle new "Payments train"\`.`);
      const at = flags.get('at')?.join(' ');
      return { verb: 'bundle', action: 'new', name, at: at ? parseWhen(at, reading.zone, reading.now) : undefined };
    }
    if (action === 'add' || action === 'remove') {
      const id = bundleArg(args[1], action);
      const members = memberArgs(args.slice(2), id);
      if (members.length === 0) throw new CommandError(`\`bundle ${action}\` needs releases: \`/release bundle ${action} BUN-${id} REL-12\`.`);
      if (action === 'remove' && members.length !== 1) throw new CommandError(`\`bundle remove\` takes one release: \`/release bundle remove BUN-${id} REL-12\`.`);
      return { verb: 'bundle', action, id, members };
    }
    if (action === 'approve' || action === 'start' || action === 'retry' || action === 'continue') {
      if (args.length > 2) throw new CommandError(`\`bundle ${action}\` takes only the bundle: \`/release bundle ${action} BUN-3\`.`);
      return { verb: 'bundle', action, id: bundleArg(args[1], action), members: [] };
    }
    if (action === 'rollback') {
      const id = bundleArg(args[1], action);
      const reason = args.slice(2).join(' ').trim();
      if (!reason) throw new CommandError(`\`bundle rollback\` needs a reason: \`/release bundle rollback BUN-${id} error rate doubled\`.`);
      return { verb: 'bundle', action, id, reason };
    }
    if (action === 'order') {
      const id = bundleArg(args[1], action);
      const { positional, flags } = parseFlags(args.slice(2), ['after']);
      const after = flags.get('after') ?? [];
      const usage = `\`/release bundle order BUN-${id} REL-13 --after REL-12\``;
      if (positional.length !== 1 || after.length !== 1) throw new CommandError(`\`bundle order\` takes one release and the one it runs after: ${usage}.`);
      const [release, previous] = memberArgs([positional[0]!, after[0]!], id);
      return { verb: 'bundle', action, id, release: release!, after: previous! };
    }
    if (action === 'show') return { verb: 'bundle', action: 'show', id: bundleArg(args[1], 'show'), members: [] };
    throw new CommandError(`\`bundle\` takes new, add, remove, order, show, approve, start, retry, continue or rollback: ${USAGE}.`);
  },
  async run(deps, caller, command) {
    if (command.action === 'new') {
      const bundle = await createBundle(deps.ctx, caller.user, { name: command.name, plannedStart: command.at ?? null, channel: caller.channel || null });
      return renderBundle({ bundle, members: [] }, ':package: Created ');
    }
    if (command.action === 'add') return renderBundle(await addToBundle(deps.ctx, caller.user, command.id, command.members), ':package: Added. ');
    if (command.action === 'remove') return renderBundle(await removeFromBundle(deps.ctx, caller.user, command.id, command.members[0]!), ':package: Removed. ');
    if (command.action === 'approve') {
      const view = await approveBundle(deps.ctx, caller.user, command.id);
      const lead = view.approval.approved ? ':white_check_mark: Approved: every member\'s rule is met. ' : `:hourglass: Approval recorded; still short: ${view.approval.short.map((s) => `REL-${s.releaseId} needs ${s.missing} more`).join(', ')}. `;
      return renderBundle(view, lead);
    }
    if (command.action === 'order') return renderBundle(await orderBundle(deps.ctx, caller.user, command.id, command.release, command.after), ':package: Reordered. ');
    if (command.action === 'start') return bundleAnswers.started((await startBundle(deps.ctx, caller.user, command.id)).id);
    if (command.action === 'retry') return bundleAnswers.retried((await retryBundle(deps.ctx, caller.user, command.id)).id);
    if (command.action === 'continue') return bundleAnswers.continued((await continueBundle(deps.ctx, caller.user, command.id)).id);
    if (command.action === 'rollback') return bundleAnswers.rollingBack((await rollbackBundle(deps.ctx, caller.user, command.id, command.reason)).id);
    return renderBundle(await showBundle(deps.ctx, command.id), '');
  },
});
