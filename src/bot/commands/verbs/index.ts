import { verb, type VerbSpec } from '../types.ts';
import { helpText } from '../help.ts';
import { editVerb, newVerb } from './plan.ts';
import { approveVerb, cancelVerb, rejectVerb, submitVerb } from './decide.ts';
import { scheduleVerb } from './schedule.ts';
import { controlVerbs, stopVerbs } from './rollout.ts';
import { auditVerb, calendarVerb, listVerb, policyVerb, showVerb, whereVerb } from './queries.ts';
import { incidentVerb } from './incident.ts';
import { muteVerbs } from './mute.ts';
import { lessonsVerb, reviewVerb } from './review.ts';
import { lockVerb, locksVerb, unlockVerb } from './locks.ts';
import { whoamiVerb } from './whoami.ts';
import { bundleVerb } from './bundle.ts';
import { kpiVerb } from './kpi.ts';

const helpVerb = verb({
  names: ['help', '?'],
  verbs: ['help'],
  help: () => '',
  parse: () => ({ verb: 'help' }),
  run: async (deps) => helpText(deps.ctx.settings, VERBS),
});

/** Every `/release` verb, in the order help lists them. A new verb is one file and one line here. */
export const VERBS: readonly VerbSpec<any>[] = [
  helpVerb,
  newVerb,
  editVerb,
  submitVerb,
  approveVerb,
  rejectVerb,
  scheduleVerb,
  cancelVerb,
  controlVerbs,
  stopVerbs,
  calendarVerb,
  whereVerb,
  listVerb,
  showVerb,
  policyVerb,
  auditVerb,
  incidentVerb,
  muteVerbs,
  reviewVerb,
  lessonsVerb,
  lockVerb,
  unlockVerb,
  locksVerb,
  whoamiVerb,
  bundleVerb,
  kpiVerb,
];

const BY_NAME = new Map(VERBS.flatMap((spec) => spec.names.map((name) => [name, spec] as const)));

export function verbNamed(name: string): VerbSpec<any> | undefined {
  return BY_NAME.get(name);
}
