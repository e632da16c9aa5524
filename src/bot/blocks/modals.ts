import type { KnownBlock, View, PlainTextOption } from '@slack/types';
import type { Settings } from '../../core/settings.ts';
import { RELEASE_TYPES, RISKS, releaseKey, type ReleaseType, type Risk } from '../../core/release.ts';
import { PLAN_FIELDS, RATE_FIELDS, REJECT_FIELDS, VALUE, VIEWS } from './ids.ts';
import { RATING_COMMENT_MAX } from '../../core/usecases/rate.ts';
import { slackTime } from './format.ts';

export interface PlanDefaults {
  assets?: string;
  waves?: string;
  /** Shown under the planned start: the next moment the service's policy allows a change. */
  nextSlot?: Date;
  releaseId?: number;
  service?: string;
  version?: string;
  type?: ReleaseType;
  title?: string;
  description?: string;
  risk?: Risk;
  riskReason?: string;
  plannedStart?: Date | null;
  model?: string;
  rollbackPlan?: string;
  testEvidence?: string;
  trainingNeeded?: boolean;
  trainingLinks?: string[];
  impact?: string;
  contact?: string;
  /** Open bundles the release may join, and the one it is in. */
  bundles?: { open: { id: number; name: string }[]; current: number | null };
}

/** Kept in the view so the submission knows where to answer; never a source of release state. */
export interface ViewContext {
  releaseId?: number;
  revision?: number;
  channel?: string;
  /** Opened from a button in App Home: the answer goes to Home, which is republished. */
  home?: boolean;
  /** A bundle's form (the reason of a bundle rollback). */
  bundleId?: number;
}

function option(text: string, value: string): PlainTextOption {
  return { text: { type: 'plain_text', text: text.slice(0, 75) }, value };
}

function select(blockId: string, label: string, options: PlainTextOption[], initial?: string, optional = false): KnownBlock {
  const initialOption = options.find((o) => o.value === initial);
  return {
    type: 'input',
    block_id: blockId,
    optional,
    label: { type: 'plain_text', text: label },
    element: { type: 'static_select', action_id: VALUE, options, ...(initialOption ? { initial_option: initialOption } : {}) },
  };
}

function text(blockId: string, label: string, options: { initial?: string; multiline?: boolean; optional?: boolean; max?: number; placeholder?: string; hint?: string } = {}): KnownBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional: options.optional ?? false,
    label: { type: 'plain_text', text: label },
    ...(options.hint ? { hint: { type: 'plain_text', text: options.hint } } : {}),
    element: {
      type: 'plain_text_input',
      action_id: VALUE,
      multiline: options.multiline ?? false,
      max_length: options.max ?? 3000,
      ...(options.initial ? { initial_value: options.initial.slice(0, options.max ?? 3000) } : {}),
      ...(options.placeholder ? { placeholder: { type: 'plain_text', text: options.placeholder } } : {}),
    },
  };
}

/** The service's own model; with no service picked yet, the only model when there is just one. */
function defaultModel(settings: Settings, service: string | undefined): string | undefined {
  if (service && Object.hasOwn(settings.services, service)) return settings.services[service]!.deploymentModel;
  const models = Object.keys(settings.deploymentModels);
  return models.length === 1 ? models[0] : undefined;
}

/** The bundle a release joins from the form: a choice of the open ones; one it is in already is shown, not offered. */
function bundleBlocks(bundles: PlanDefaults['bundles']): KnownBlock[] {
  if (!bundles) return [];
  if (bundles.current !== null) return [{ type: 'context', elements: [{ type: 'mrkdwn', text: `In bundle BUN-${bundles.current}: \`/release bundle show BUN-${bundles.current}\`` }] }];
  if (bundles.open.length === 0) return [];
  const options = bundles.open.map((b) => option(`BUN-${b.id} ${b.name}`, String(b.id)));
  return [{ ...select(PLAN_FIELDS.bundle, 'Bundle (release train)', options, undefined, true), hint: { type: 'plain_text', text: 'Ship it with others as one unit: one approval, members rolling out in order.' } } as KnownBlock];
}

/** The planning modal, empty for `/release new` or pre-filled from the command or the plan being edited. */
export function planModal(settings: Settings, defaults: PlanDefaults, context: ViewContext): View {
  const services = Object.values(settings.services).map((s) => option(`${s.name} (${s.key})`, s.key));
  const models = Object.keys(settings.deploymentModels).map((m) => option(m, m));
  const editing = defaults.releaseId !== undefined;
  const blocks: KnownBlock[] = [
    editing
      ? { type: 'section', block_id: PLAN_FIELDS.service, text: { type: 'mrkdwn', text: `*Service:* ${defaults.service ?? ''}` } }
      : select(PLAN_FIELDS.service, 'Service', services, defaults.service),
    text(PLAN_FIELDS.version, 'Version', { initial: defaults.version, max: 64, placeholder: '1.4.0' }),
    select(PLAN_FIELDS.type, 'Type', RELEASE_TYPES.map((t) => option(t, t)), defaults.type ?? 'minor'),
    text(PLAN_FIELDS.title, 'Title', { initial: defaults.title, max: 150, optional: true, placeholder: 'What changes for users' }),
    text(PLAN_FIELDS.description, 'Description', { initial: defaults.description, multiline: true, optional: true }),
    select(PLAN_FIELDS.risk, 'Risk', RISKS.map((r) => option(r, r)), defaults.risk ?? 'medium'),
    text(PLAN_FIELDS.riskReason, 'Why the risk is lower than relm assesses', { initial: defaults.riskReason, optional: true, max: 500, hint: 'Only when you state a lower risk than the policy\'s risk rules assess; approvers see it.' }),
    {
      type: 'input',
      block_id: PLAN_FIELDS.plannedStart,
      optional: true,
      label: { type: 'plain_text', text: 'Planned start' },
      element: { type: 'datetimepicker', action_id: VALUE, ...(defaults.plannedStart ? { initial_date_time: Math.floor(defaults.plannedStart.getTime() / 1000) } : {}) },
    },
    ...(defaults.nextSlot ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: `Next free slot: ${slackTime(defaults.nextSlot)} (\`/release calendar\` shows the schedule)` }] } as KnownBlock] : []),
    select(PLAN_FIELDS.model, 'Deployment model', models, defaults.model ?? defaultModel(settings, defaults.service)),
    text(PLAN_FIELDS.waves, 'Waves', { initial: defaults.waves, optional: true, max: 500, placeholder: 'canary=eu-1@10m; rest=eu-2,us-1', hint: "Only to override the deployment model's waves for this release." }),
    text(PLAN_FIELDS.assets, 'Release assets to check', { initial: defaults.assets, multiline: true, optional: true, max: 3000, placeholder: 'app-linux-x64.tar.gz 9f86d081884c7d65…', hint: 'One per line: the asset name and its sha256, checked on the GitHub release before the first wave.' }),
    text(PLAN_FIELDS.rollbackPlan, 'Rollback plan', { initial: defaults.rollbackPlan, multiline: true, optional: true, placeholder: 'How to go back if it goes wrong', hint: 'A draft may leave this empty; it is needed before you submit.' }),
    text(PLAN_FIELDS.testEvidence, 'Test evidence', { initial: defaults.testEvidence, multiline: true, optional: true, placeholder: 'Links to test runs, sign-off', hint: 'A draft may leave this empty; it is needed before you submit (not for an emergency).' }),
    {
      type: 'input',
      block_id: PLAN_FIELDS.training,
      optional: true,
      label: { type: 'plain_text', text: 'Training' },
      element: {
        type: 'checkboxes',
        action_id: VALUE,
        options: [option('Users or support need training', 'yes')],
        ...(defaults.trainingNeeded ? { initial_options: [option('Users or support need training', 'yes')] } : {}),
      },
    },
    text(PLAN_FIELDS.impact, 'Impact on users', { initial: defaults.impact, multiline: true, optional: true, max: 1000, placeholder: 'What users will notice; expected downtime', hint: 'Told to the audience with the schedule.' }),
    text(PLAN_FIELDS.contact, 'Contact during early life support', { initial: defaults.contact, optional: true, max: 100, placeholder: 'C0123ABCD or U0123ABCD', hint: 'A channel or a person, by Slack id (Copy link or Copy member ID); whom users ask after the change.' }),
    text(PLAN_FIELDS.trainingLinks, 'Training material', { initial: defaults.trainingLinks?.join('\n'), multiline: true, optional: true, max: 2000, placeholder: 'https://wiki.example.com/new-checkout', hint: 'Links, one per line: what users or support should read or watch before the change.' }),
    ...bundleBlocks(defaults.bundles),
  ];
  return {
    type: 'modal',
    callback_id: VIEWS.plan,
    private_metadata: JSON.stringify({ ...context, releaseId: defaults.releaseId, service: defaults.service }),
    title: { type: 'plain_text', text: editing ? `Edit ${releaseKey(defaults.releaseId!)}` : 'Plan a release' },
    submit: { type: 'plain_text', text: editing ? 'Save plan' : 'Plan release' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

const REASON_TITLES: Record<string, { title: string; submit: string; label: string }> = {
  [VIEWS.rollback]: { title: 'Roll back', submit: 'Roll back', label: 'Why roll back? The team sees this.' },
  [VIEWS.abort]: { title: 'Abort rollout', submit: 'Abort', label: 'Why abort? The team sees this.' },
};

/** Asks for the reason a rollback or abort needs. */
export function reasonModal(callbackId: string, releaseId: number, context: ViewContext): View {
  const words = REASON_TITLES[callbackId]!;
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: JSON.stringify({ ...context, releaseId }),
    title: { type: 'plain_text', text: `${words.title} ${releaseKey(releaseId)}`.slice(0, 24) },
    submit: { type: 'plain_text', text: words.submit },
    close: { type: 'plain_text', text: 'Back' },
    blocks: [text(REJECT_FIELDS.reason, words.label, { multiline: true, max: 2000 })],
  };
}

export function rejectModal(releaseId: number, revision: number | undefined, context: ViewContext): View {
  return {
    type: 'modal',
    callback_id: VIEWS.reject,
    private_metadata: JSON.stringify({ ...context, releaseId, revision }),
    title: { type: 'plain_text', text: `Reject ${releaseKey(releaseId)}` },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Back' },
    blocks: [text(REJECT_FIELDS.reason, 'Why? The team sees this.', { multiline: true, max: 2000 })],
  };
}

/** Asks why a bundle is rolled back: every started member is rolled back, the last started first. */
export function bundleRollbackModal(bundleId: number, context: ViewContext): View {
  return {
    type: 'modal',
    callback_id: VIEWS.bundleRollback,
    private_metadata: JSON.stringify({ ...context, bundleId }),
    title: { type: 'plain_text', text: `Roll back BUN-${bundleId}`.slice(0, 24) },
    submit: { type: 'plain_text', text: 'Roll back' },
    close: { type: 'plain_text', text: 'Back' },
    blocks: [text(REJECT_FIELDS.reason, 'Why roll back every started release of the bundle? The team sees this.', { multiline: true, max: 2000 })],
  };
}

/** The rating form behind "Add a comment": the person's score (theirs so far, if any) and an optional comment. */
export function ratingCommentModal(releaseId: number, current: { score: number; comment: string | null } | undefined, context: ViewContext): View {
  const scores = ['1 (bad)', '2', '3', '4', '5 (great)'].map((label, i) => option(label, String(i + 1)));
  return {
    type: 'modal',
    callback_id: VIEWS.rateComment,
    private_metadata: JSON.stringify({ ...context, releaseId }),
    title: { type: 'plain_text', text: `Rate ${releaseKey(releaseId)}`.slice(0, 24) },
    submit: { type: 'plain_text', text: 'Save' },
    close: { type: 'plain_text', text: 'Back' },
    blocks: [
      select(RATE_FIELDS.score, `How did ${releaseKey(releaseId)} go for you?`, scores, current ? String(current.score) : undefined),
      text(RATE_FIELDS.comment, 'Comment', { initial: current?.comment ?? undefined, multiline: true, optional: true, max: RATING_COMMENT_MAX, placeholder: 'What went well, what did not', hint: 'The team sees it in /release show. Leave it empty to remove yours.' }),
    ],
  };
}
