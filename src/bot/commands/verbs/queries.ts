import { findReleases, releaseDetail } from '../../../core/usecases/queries.ts';
import { verifyAuditTrail } from '../../../core/usecases/audit-trail.ts';
import { calendarView } from '../../../core/usecases/calendar.ts';
import { whereRuns } from '../../../core/usecases/configuration-records.ts';
import { serviceOf } from '../../../core/settings.ts';
import { RELEASE_STATES } from '../../../core/release.ts';
import { escapeText, slackTime } from '../../blocks/format.ts';
import { renderChainCheck, renderList, renderPolicies, renderShow } from '../../blocks/replies.ts';
import { renderThreadNote } from '../../blocks/notes.ts';
import { renderCalendar } from '../../blocks/calendar.ts';
import { renderWhere } from '../../blocks/where.ts';
import { oneOf, parseFlags, releaseId } from '../args.ts';
import { CommandError } from '../command-error.ts';
import { verb } from '../types.ts';

export const listVerb = verb({
  names: ['list'],
  verbs: ['list'],
  help: () => '• `list [service] [--state submitted]`, `show REL-12`: what is planned and where it stands',
  parse(_name, args) {
    const { positional, flags } = parseFlags(args, ['state']);
    return { verb: 'list', service: positional[0]?.toLowerCase(), state: flags.has('state') ? oneOf(flags.get('state')![0], RELEASE_STATES, '--state') : undefined };
  },
  async run(deps, _caller, command) {
    if (command.service) serviceOf(deps.ctx.settings, command.service);
    return renderList(await findReleases(deps.ctx, { service: command.service, states: command.state ? [command.state] : undefined }), command);
  },
});

export const showVerb = verb({
  names: ['show'],
  verbs: ['show'],
  help: () => '',
  parse: (_name, args) => ({ verb: 'show', id: releaseId(args[0], 'show', 'show REL-12') }),
  run: async (deps, _caller, command) => renderShow(await releaseDetail(deps.ctx, command.id)),
});

export const policyVerb = verb({
  names: ['policy'],
  verbs: ['policy'],
  help: () => '• `policy [service]`: who approves what, change windows and freezes',
  parse: (_name, args) => ({ verb: 'policy', service: args[0]?.toLowerCase() }),
  run: async (deps, _caller, command) => renderPolicies(deps.ctx.settings, command.service ? serviceOf(deps.ctx.settings, command.service) : undefined),
});

export const calendarVerb = verb({
  names: ['calendar'],
  verbs: ['calendar'],
  help: () => '• `calendar [days]`: the forward schedule of change, windows, freezes and the next free slot',
  parse(_name, args) {
    const days = args[0] === undefined ? 14 : Number(args[0].replace(/d$/i, ''));
    if (!Number.isInteger(days) || days < 1 || days > 90) throw new CommandError('`calendar` takes a number of days from 1 to 90: `/release calendar 30`.');
    return { verb: 'calendar', days };
  },
  run: async (deps, _caller, command) => renderCalendar(await calendarView(deps.ctx, command.days)),
});

export const whereVerb = verb({
  names: ['where'],
  verbs: ['where'],
  help: ({ service }) => `• \`where ${escapeText(service)}\`: which version runs on which target (relm's rollouts and GitHub deployments)`,
  parse(_name, args) {
    if (!args[0]) throw new CommandError('`where` needs a service: `/release where payments`.');
    return { verb: 'where', service: args[0].toLowerCase() };
  },
  run: async (deps, _caller, command) => renderWhere(command.service, await whereRuns(deps.ctx, command.service)),
});

export const auditVerb = verb({
  names: ['audit'],
  verbs: ['audit'],
  help: () => '• `audit [REL-12]`: the audit trail, and whether its hash chain is intact',
  parse: (_name, args) => (args[0] ? { verb: 'audit', id: releaseId(args[0], 'audit', 'audit [REL-12]') } : { verb: 'audit' }),
  async run(deps, _caller, command) {
    const check = await verifyAuditTrail(deps.ctx);
    if (command.id === undefined) return renderChainCheck(check);
    const detail = await releaseDetail(deps.ctx, command.id);
    return [renderChainCheck(check), ...detail.history.map((e) => `#${e.seq} ${slackTime(e.at)} ${renderThreadNote(e)} \`${e.hash.slice(0, 12)}\``)].join('\n');
  },
});
