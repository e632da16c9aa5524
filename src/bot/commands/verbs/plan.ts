import { bundleChoices } from '../../../core/usecases/bundles.ts';
import { planRelease } from '../../../core/usecases/plan.ts';
import { replanRelease, type PlanChanges } from '../../../core/usecases/replan.ts';
import { parseWaveOverride } from '../../../core/rollout.ts';
import { escapeText } from '../../blocks/format.ts';
import { planModal } from '../../blocks/modals.ts';
import { renderPlanned, renderReplanned } from '../../blocks/replies.ts';
import { nextSlotFor, openEditModal } from '../../actions/edit.ts';
import { flagText, parseFlags, PLAN_FLAG_NAMES, planFlags, releaseId } from '../args.ts';
import { CommandError } from '../command-error.ts';
import { verb, type PlanFlags } from '../types.ts';

/** The plan fields a `new` or `edit` command sets, as the use cases take them; absent flags are left out. */
function planChanges(command: PlanFlags & { version?: string }): PlanChanges {
  const changes: PlanChanges = {
    version: command.version,
    type: command.type,
    title: command.title,
    description: command.description,
    risk: command.risk,
    riskReason: command.riskReason,
    plannedStart: command.at,
    deploymentModel: command.model,
    rollbackPlan: command.rollback,
    testEvidence: command.tests,
    trainingNeeded: command.training?.needed,
    trainingLinks: command.training?.links,
    impact: command.impact,
    contact: command.contact,
    waves: command.waves ? parseWaveOverride(command.waves) : undefined,
  };
  return Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as PlanChanges;
}

const hasAtFlag = (args: string[]) => args.some((a) => /^(--|—)at(=|$)/i.test(a));

export const newVerb = verb({
  names: ['new', 'plan'],
  verbs: ['new'],
  help: ({ service, model, waves }) =>
    [
      `• \`new\` opens the planning form; \`new ${escapeText(service)} 1.4.0 --at "tomorrow 10:00" --title "Faster checkout" --rollback "Redeploy 1.3.9" --tests "CI run 812 green"\` plans directly`,
      `  more options: \`--type major|minor|patch|emergency\`, \`--risk low|medium|high\` (\`--risk-reason "…"\` to state less than relm assesses), \`--model ${escapeText(model)}\`, \`--description "…"\`, \`--training [links…]\` (\`--training no\` when none is needed), \`--impact "what users notice"\`, \`--contact #support\`, \`--waves "${escapeText(waves)}"\` (overrides the model's waves)`,
    ].join('\n'),
  readsTime: hasAtFlag,
  parse(_name, args, reading) {
    const { positional, flags } = parseFlags(args, PLAN_FLAG_NAMES);
    if (positional.length > 2) throw new CommandError('`new` takes a service and a version; put a title in quotes: `--title "Faster checkout"`.');
    return { verb: 'new', service: positional[0]?.toLowerCase(), version: positional[1], ...planFlags(flags, reading) };
  },
  async run(deps, caller, command) {
    if (!command.service || !command.version) {
      const defaults = { service: command.service, version: command.version, type: command.type, title: command.title, description: command.description, risk: command.risk, riskReason: command.riskReason, plannedStart: command.at, model: command.model, waves: command.waves, rollbackPlan: command.rollback, testEvidence: command.tests, trainingNeeded: command.training?.needed, trainingLinks: command.training?.links, impact: command.impact, contact: command.contact ?? undefined, nextSlot: nextSlotFor(deps, command.service), bundles: await bundleChoices(deps.ctx) };
      await deps.slack.client.views.open({ trigger_id: caller.triggerId, view: planModal(deps.ctx.settings, defaults, { channel: caller.channel }) });
      return null;
    }
    const { release, warnings } = await planRelease(deps.ctx, caller.user, { service: command.service, version: command.version, ...planChanges(command) });
    return renderPlanned(release, warnings);
  },
});

export const editVerb = verb({
  names: ['edit'],
  verbs: ['edit'],
  help: () => '• `edit REL-12` opens the plan in the form; `edit REL-12 --tests "CI run 813 green"` changes one field (any change voids the approvals given so far, but a new `--at` alone is a reschedule, as `schedule` does)',
  readsTime: hasAtFlag,
  parse(_name, args, reading) {
    const { positional, flags } = parseFlags(args, [...PLAN_FLAG_NAMES, 'version']);
    const id = releaseId(positional[0], 'edit', 'edit REL-12 [--rollback "…"] [--tests "…"]');
    if (positional.length > 1) throw new CommandError('`edit` takes a release and options, like `/release edit REL-12 --tests "CI run 812 green"`; put text in quotes.');
    return { verb: 'edit', id, ...(flags.has('version') ? { version: flagText(flags, 'version') } : {}), ...planFlags(flags, reading) };
  },
  async run(deps, caller, command) {
    const changes = planChanges(command);
    if (Object.keys(changes).length === 0) {
      await openEditModal(deps, command.id, caller.triggerId, caller.channel);
      return null;
    }
    const { release, warnings } = await replanRelease(deps.ctx, caller.user, command.id, changes);
    return renderReplanned(release, warnings);
  },
});
