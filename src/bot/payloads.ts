import { z } from 'zod';
import { VIEWS } from './blocks/ids.ts';

/**
 * The shapes of the Slack requests relm takes, checked after the signature and before Bolt sees the
 * body. Bolt dereferences fields of these bodies without checking them (`body.user.team_id`,
 * `body.view.app_installed_team_id`, `'channel' in event`), so a signed but malformed body would
 * otherwise throw inside Bolt: a 500, or an unhandled rejection that ends the process. Only what Bolt
 * and relm read is checked; Slack's other fields pass through untouched.
 */

const id = z.string().min(1).max(255);
/**
 * A Slack id (U…, T…, C…, E…). Bolt keys its client pools by team and enterprise id in plain objects,
 * so an id like "constructor" would find Object's own members there.
 */
const slackId = z.string().regex(/^[A-Z0-9]{1,40}$/, 'a Slack id like T0123ABCD');
const url = z.url({ protocol: /^https?$/ }).max(2_000);
const object = z.looseObject({});
/** `team` and `enterprise` are null on org-wide installs; Bolt reads their ids when they are not. */
const nullableRef = z.looseObject({ id: slackId.optional(), enterprise_id: slackId.optional() }).nullable().optional();
const user = z.looseObject({ id: slackId, team_id: slackId.optional() });

const command = z.looseObject({
  command: z.string().min(1).max(100),
  user_id: slackId,
  text: z.string().max(10_000).optional(),
  channel_id: slackId.optional(),
  team_id: slackId.optional(),
  enterprise_id: slackId.optional(),
  trigger_id: id,
  // Where the answer goes: Slack always sends one with a command.
  response_url: url,
});

const action = z.looseObject({
  action_id: z.string().min(1).max(255),
  block_id: z.string().max(255).optional(),
  type: z.string().max(100).optional(),
  value: z.string().max(2_000).optional(),
});

const blockActions = z
  .looseObject({
    type: z.literal('block_actions'),
    user,
    team: nullableRef,
    enterprise: nullableRef,
    actions: z.array(action).min(1).max(25),
    trigger_id: id,
    response_url: url.optional(),
    channel: z.looseObject({ id: slackId }).optional(),
    container: object.optional(),
    view: z.looseObject({ type: z.string().max(100).optional() }).optional(),
  })
  // A click in a message always comes with where to answer; only one in App Home (a view) has none.
  .refine((body) => body.response_url !== undefined || (body.container?.type === 'view' && body.view?.type === 'home'), { path: ['response_url'], message: 'a click in a message comes with a response_url' });

/** One input's state in a submitted modal, as Slack reports each element type. */
const inputState = z.looseObject({
  type: z.string().max(100).optional(),
  value: z.string().max(10_000).nullable().optional(),
  selected_option: z.looseObject({ value: z.string().max(2_000) }).nullable().optional(),
  selected_options: z.array(z.looseObject({ value: z.string().max(2_000) })).max(100).optional(),
  selected_date_time: z.number().int().nullable().optional(),
});

/** What relm keeps in a modal's private_metadata (see blocks/modals.ts): ids are database integers. */
export const ViewMetadataSchema = z.strictObject({
  releaseId: z.number().int().min(1).max(2_147_483_647).optional(),
  revision: z.number().int().min(0).max(2_147_483_647).optional(),
  channel: z.string().max(255).optional(),
  service: z.string().max(255).optional(),
  home: z.boolean().optional(),
  bundleId: z.number().int().min(1).max(2_147_483_647).optional(),
});

const privateMetadata = z
  .string()
  .max(3_000)
  .refine((text) => {
    if (text === '') return true;
    try {
      return ViewMetadataSchema.safeParse(JSON.parse(text)).success;
    } catch {
      return false;
    }
  }, 'not the metadata relm puts in its modals');

const viewSubmission = z.looseObject({
  type: z.literal('view_submission'),
  user,
  team: nullableRef,
  enterprise: nullableRef,
  view: z.looseObject({
    id,
    hash: z.string().max(255).optional(),
    // Only modals relm opened: a submission of anything else has no listener to acknowledge it.
    callback_id: z.enum(Object.values(VIEWS)),
    private_metadata: privateMetadata.optional(),
    app_installed_team_id: slackId.optional(),
    state: z.looseObject({ values: z.record(z.string().max(255), z.record(z.string().max(255), inputState)) }),
  }),
  response_urls: z.array(z.looseObject({ response_url: url })).max(10).optional(),
});

/** Events API bodies: relm subscribes to app_home_opened (App Home); Bolt must be able to classify any. */
const eventCallback = z.looseObject({
  event: z.looseObject({
    type: z.string().min(1).max(100),
    user: z.union([z.string(), z.looseObject({ id: z.string().optional() })]).optional(),
    channel: z.union([z.string(), object]).optional(),
    item: object.optional(),
    subteam: object.optional(),
  }),
  authorizations: z.array(z.looseObject({ team_id: slackId.nullable().optional(), enterprise_id: slackId.nullable().optional() })).optional(),
  team_id: slackId.optional(),
  enterprise_id: slackId.optional(),
});

const urlVerification = z.looseObject({ type: z.literal('url_verification'), challenge: z.string().max(1_000) });

export type PayloadCheck = { ok: true; kind: string } | { ok: false; problem: string };

/**
 * Which kind of request a parsed body is, in the order Bolt decides it (an `event` key wins over
 * `command`, which wins over `actions`...), and whether it has the shape relm needs for that kind.
 */
export function checkSlackPayload(body: unknown): PayloadCheck {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problem: 'the body is not an object' };
  const fields = body as Record<string, unknown>;
  const [kind, schema] =
    fields.event !== undefined
      ? ['event', eventCallback]
      : fields.command !== undefined
        ? ['command', command]
        : fields.name !== undefined || fields.type === 'block_suggestion'
          ? ['options', undefined]
          : fields.actions !== undefined || fields.type === 'dialog_submission'
            ? ['action', blockActions]
            : fields.type === 'view_submission' || fields.type === 'view_closed'
              ? ['view', fields.type === 'view_submission' ? viewSubmission : undefined]
              : fields.type === 'url_verification'
                ? ['url_verification', urlVerification]
                : [typeof fields.type === 'string' ? fields.type.slice(0, 40) : 'unknown', undefined];
  if (!schema) return { ok: false, problem: `relm does not take ${kind} requests` };
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, kind };
  const issue = parsed.error.issues[0]!;
  return { ok: false, problem: `${kind}: ${issue.path.join('.') || 'body'}: ${issue.message}` };
}
