import { z } from 'zod';
import { RELEASE_TYPES, RISKS } from '../../core/release.ts';
import type { PlanInput } from '../../core/usecases/plan.ts';
import { parseWaveOverride } from '../../core/rollout.ts';
import { parseAssetLines } from '../../core/release-assets.ts';
import { parseContact } from '../commands/args.ts';
import { PLAN_FIELDS, VALUE } from '../blocks/ids.ts';

type StateValues = Record<string, Record<string, any>>;

const text = (v: any) => (typeof v?.value === 'string' ? v.value : undefined);
const selected = (v: any) => v?.selected_option?.value as string | undefined;

const FormSchema = z.object({
  service: z.string({ error: 'Pick a service.' }).min(1, 'Pick a service.'),
  version: z.string({ error: 'Give a version, like 1.4.0.' }).trim().min(1, 'Give a version, like 1.4.0.').max(64),
  type: z.enum(RELEASE_TYPES, { error: 'Pick a type.' }),
  title: z.string().max(150).optional(),
  description: z.string().max(3000).optional(),
  risk: z.enum(RISKS, { error: 'Pick a risk.' }),
  riskReason: z.string().max(500).optional(),
  plannedStart: z.date().nullable(),
  deploymentModel: z.string({ error: 'Pick a deployment model.' }).min(1),
  rollbackPlan: z.string().max(3000).optional(),
  testEvidence: z.string().max(3000).optional(),
  trainingNeeded: z.boolean(),
  impact: z.string().max(1000).optional(),
  contact: z.string().nullable(),
  trainingLinks: z.array(z.url({ protocol: /^https?$/, error: 'Training material is links, one per line, each starting https://' })).max(10, 'At most 10 links to training material.'),
  waves: z.string().max(500).optional(),
  assets: z.string().max(3000).optional(),
});

/** Maps a PlanInput field to the modal block that shows its error. */
export const FIELD_BLOCKS: Record<string, string> = {
  service: PLAN_FIELDS.service,
  version: PLAN_FIELDS.version,
  type: PLAN_FIELDS.type,
  title: PLAN_FIELDS.title,
  description: PLAN_FIELDS.description,
  risk: PLAN_FIELDS.risk,
  riskReason: PLAN_FIELDS.riskReason,
  plannedStart: PLAN_FIELDS.plannedStart,
  deploymentModel: PLAN_FIELDS.model,
  rollbackPlan: PLAN_FIELDS.rollbackPlan,
  testEvidence: PLAN_FIELDS.testEvidence,
  trainingNeeded: PLAN_FIELDS.training,
  trainingLinks: PLAN_FIELDS.trainingLinks,
  impact: PLAN_FIELDS.impact,
  contact: PLAN_FIELDS.contact,
  waves: PLAN_FIELDS.waves,
  assets: PLAN_FIELDS.assets,
};

export type PlanForm = { ok: true; input: PlanInput } | { ok: false; errors: Record<string, string> };

/** Reads the planning modal's state; `fixedService` is the service of a release being edited. */
export function readPlanForm(values: StateValues, fixedService?: string): PlanForm {
  const get = (block: string) => values[block]?.[VALUE];
  const start = get(PLAN_FIELDS.plannedStart)?.selected_date_time;
  const contactText = text(get(PLAN_FIELDS.contact));
  const trainingLinks = (text(get(PLAN_FIELDS.trainingLinks)) ?? '').split('\n').map((l: string) => l.trim()).filter(Boolean);
  const parsed = FormSchema.safeParse({
    service: fixedService ?? selected(get(PLAN_FIELDS.service)),
    version: text(get(PLAN_FIELDS.version)),
    type: selected(get(PLAN_FIELDS.type)),
    title: text(get(PLAN_FIELDS.title)) ?? undefined,
    description: text(get(PLAN_FIELDS.description)) ?? undefined,
    risk: selected(get(PLAN_FIELDS.risk)),
    riskReason: text(get(PLAN_FIELDS.riskReason)) ?? undefined,
    plannedStart: typeof start === 'number' ? new Date(start * 1000) : null,
    deploymentModel: selected(get(PLAN_FIELDS.model)),
    rollbackPlan: text(get(PLAN_FIELDS.rollbackPlan)) ?? undefined,
    testEvidence: text(get(PLAN_FIELDS.testEvidence)) ?? undefined,
    // Linking material says training is needed, whether or not the box was ticked.
    trainingNeeded: (get(PLAN_FIELDS.training)?.selected_options ?? []).length > 0 || trainingLinks.length > 0,
    trainingLinks,
    impact: text(get(PLAN_FIELDS.impact)) ?? undefined,
    contact: contactText?.trim() ? (parseContact(contactText) ?? undefined) : null,
    waves: text(get(PLAN_FIELDS.waves)) ?? undefined,
    assets: text(get(PLAN_FIELDS.assets)) ?? undefined,
  });
  // Every field's problem at once, so the form is fixed in one go.
  const errors: Record<string, string> = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const block = FIELD_BLOCKS[String(issue.path[0])] ?? PLAN_FIELDS.version;
      errors[block] ??= issue.message;
    }
  }
  if (contactText?.trim() && parseContact(contactText) === undefined) errors[PLAN_FIELDS.contact] = 'A channel id (C0123ABCD) or a person\'s member id (U0123ABCD).';
  const { assets, problem: assetProblem } = parseAssetLines(text(get(PLAN_FIELDS.assets)) ?? '');
  if (assetProblem) errors[PLAN_FIELDS.assets] = assetProblem;
  const wavesText = text(get(PLAN_FIELDS.waves));
  let override;
  try {
    override = wavesText?.trim() ? parseWaveOverride(wavesText) : undefined;
  } catch (error) {
    errors[PLAN_FIELDS.waves] = (error as Error).message;
  }
  if (!parsed.success || Object.keys(errors).length) return { ok: false, errors };
  const { waves: _waves, assets: _assets, ...f } = parsed.data;
  return {
    ok: true,
    input: { ...f, impact: f.impact ?? '', title: f.title ?? '', description: f.description ?? '', rollbackPlan: f.rollbackPlan ?? '', testEvidence: f.testEvidence ?? '', waves: override, assets },
  };
}
