import type { Settings } from '../../core/settings.ts';
import type { HelpExamples, VerbSpec } from './types.ts';

function examplesFrom(settings: Settings): HelpExamples {
  const service = Object.values(settings.services)[0];
  const model = service?.deploymentModel ?? Object.keys(settings.deploymentModels)[0] ?? 'three-waves';
  const waves = settings.deploymentModels[model]?.waves ?? [];
  const wavesExample = waves.length >= 2 ? `${waves[0]!.name}=${waves[0]!.targets[0]}@10m; ${waves[1]!.name}=${waves[1]!.targets.join(',')}` : 'canary=eu-1@10m; rest=eu-2,us-1';
  return { service: service?.key ?? 'payments', model, waves: wavesExample, settings };
}

/** The grammar with examples, generated from the verbs' specs for the services and models this relm.yml has. */
export function helpText(settings: Settings, verbs: readonly VerbSpec<any>[]): string {
  const examples = examplesFrom(settings);
  return [
    '*/release* plans, authorises and tracks releases. `REL-12` names a release.',
    ...verbs.map((spec) => spec.help(examples)).filter(Boolean),
    'Times: `now`, `+2h`, `in 30m`, `tomorrow 10:00`, `mon 09:00`, `next tuesday 14:30` or `YYYY-MM-DD HH:mm`, in your own Slack timezone.',
  ].join('\n');
}
