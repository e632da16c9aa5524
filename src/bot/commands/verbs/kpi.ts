import { kpiReport, resolveKpiQuery } from '../../../core/usecases/kpi.ts';
import { kpiBlocks, kpiSummaryLine } from '../../blocks/kpi.ts';
import { escapeText } from '../../blocks/format.ts';
import { verb } from '../types.ts';

export const kpiVerb = verb({
  names: ['kpi'],
  verbs: ['kpi'],
  help: (examples) => `• \`kpi [7d|30d|90d|quarter] [service|team]\`: the release KPIs (ITIL and DORA) against the period before, e.g. \`kpi 90d ${examples.service}\`; also \`--from <date> --to <date>\``,
  // The period and scope are read by core, which knows the services, teams and relm's clock.
  parse: (_name, args) => ({ verb: 'kpi', words: args.join(' ') }),
  run: async (deps, _caller, command) => {
    const query = resolveKpiQuery(deps.ctx.settings, command.words, deps.ctx.clock());
    const report = await kpiReport(deps.ctx, query);
    return { text: `KPIs, ${escapeText(report.label)}: ${kpiSummaryLine(report)}`, blocks: kpiBlocks(report) };
  },
});
