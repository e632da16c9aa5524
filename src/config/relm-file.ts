import { readFileSync } from 'node:fs';
import { CronExpressionParser } from 'cron-parser';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration.ts';
import { parseWindow } from '../core/windows.ts';
import { RELEASE_STATES, RELEASE_TYPES, RISKS } from '../core/release.ts';
import { JIRA_FIELD_NAMES, type JiraFieldName, type NotifySettings, type Settings } from '../core/settings.ts';
import { own } from '../core/lookup.ts';
import { DEFAULT_REQUIRE_REVIEW, REVIEW_REQUIREMENTS } from '../core/review.ts';
import { digestId, type DigestSettings } from '../core/digest.ts';

const duration = z.string().regex(DURATION_PATTERN, 'a duration like 30s, 15m, 2h or 7d');
const slackUser = z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id like U0123ABCD');
const channelId = z.string().regex(/^[CGD][A-Z0-9]+$/, 'a Slack channel id like C0123ABCD');
// A channel (C…/G…), a user (U…/W…), a user group (S…) or a name under groups: (checked below).
const audienceId = z.string().min(1);
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2026-12-20');
const identifier = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, "-" or "_"');

const timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'an IANA timezone like Europe/London');

const window = z.string().superRefine((text, ctx) => {
  try {
    parseWindow(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const approvalRule = z.strictObject({
  required: z.number().int().min(1).max(20),
  from: z.array(z.string().min(1)).min(1),
  bypass_freeze: z.boolean().default(false),
  // May pass a deploy lock (meant for emergencies); each pass is audited.
  passes_locks: z.boolean().default(false),
});

// approvals.high_risk: at high risk, at least this many approvals, from these approvers.
const highRiskRule = z.strictObject({ required: z.number().int().min(1).max(20), from: z.array(z.string().min(1)).min(1) });

const points = z.number().int().min(0).max(100);
const overRule = z.strictObject({ over: z.number().int().min(0), points });
const riskRules = z
  .strictObject({
    type: z.partialRecord(z.enum(RELEASE_TYPES), points).default({}),
    targets: overRule.optional(),
    waves: overRule.optional(),
    bundle: overRule.optional(),
    no_test_evidence: points.default(0),
    recent_failures: z.strictObject({ within: duration.default('30d'), points, max: z.number().int().min(1).optional() }).optional(),
    outside_windows: points.default(0),
    near_freeze: z.strictObject({ within: duration.default('2d'), points }).optional(),
    medium: points.default(3),
    high: points.default(6),
  })
  .refine((r) => r.high > r.medium, { message: 'high must be a higher score than medium', path: ['high'] });

const policy = z.strictObject({
  approvals: z.strictObject({
    ...(Object.fromEntries(RELEASE_TYPES.map((t) => [t, approvalRule.optional()])) as Record<(typeof RELEASE_TYPES)[number], z.ZodOptional<typeof approvalRule>>),
    high_risk: highRiskRule.optional(),
  }),
  risk: riskRules.optional(),
  // wait (default): a start waits while a conflicting rollout is under way; warn: conflicts are only shown.
  conflicts: z.enum(['wait', 'warn']).default('wait'),
  windows: z.array(window).default([]),
  freezes: z
    .array(z.strictObject({ from: isoDay, to: isoDay, reason: z.string().min(1).default('Freeze') }))
    .default([])
    .refine((list) => list.every((f) => f.from <= f.to), 'a freeze ends before it starts'),
  approval_expires_after: duration.optional(),
  approval_source: z.enum(['slack', 'jira', 'both']).default('slack'),
  require_training_material: z.boolean().default(false),
  remind_after: duration.optional(),
  escalate_after: duration.optional(),
  // The hours remind_after and escalate_after count (in relm.yml's timezone); none: every hour counts.
  working_hours: z.array(window).default([]),
  // Which finished releases must have a post-release review: outcomes, emergencies, or all of them.
  require_review: z.union([z.literal('all'), z.array(z.enum(REVIEW_REQUIREMENTS)).max(REVIEW_REQUIREMENTS.length)]).default([...DEFAULT_REQUIRE_REVIEW]),
});

const wave = z.strictObject({
  name: identifier,
  targets: z.array(z.string().min(1)).min(1),
  bake: duration.optional(),
  checklist: z.array(z.string().min(1)).default([]),
  rollback: z.array(z.string().min(1)).default([]),
  verify: z.strictObject({ url: z.string().url(), expect: z.number().int().default(200), timeout: duration.default('5m') }).optional(),
});

const deploymentModel = z.strictObject({
  deployer: z.enum(['manual', 'github', 'webhook']).default('manual'),
  waves: z.array(wave).min(1),
  webhook: z.strictObject({ url: z.string().url(), secret_env: z.string().default('RELM_WEBHOOK_SECRET') }).optional(),
  // The github deployer: how often to ask GitHub when no deployment_status webhook came, and when to give up.
  github: z.strictObject({ poll: duration.default('30s'), timeout: duration.default('1h') }).optional(),
  // After completion, the post-release review is due this long after the rollout finished.
  review_after: duration.default('3d'),
  // After completion, the support contact is shown this long before the audience is asked to rate the release.
  early_life_support: duration.optional(),
});

const jiraFieldId = z.string().regex(/^(customfield_\d+|[a-z][A-Za-z]*)$/, 'a Jira field id like customfield_10061 or duedate');

const clockTime = /^([01]\d|2[0-3]):[0-5]\d$/;
const quietHours = z.string().refine((text) => {
  const [from, to, extra] = text.split('-').map((part) => part.trim());
  return extra === undefined && clockTime.test(from ?? '') && clockTime.test(to ?? '') && from !== to;
}, 'a local time span like "20:00-08:00"');

// Defaults for the audience's notices; a service may override any key.
const notify = z.strictObject({
  before: z.array(duration).max(5).optional(),
  quiet_hours: quietHours.optional(),
});

// Checked with cron-parser, the parser BullMQ's Job Schedulers read `pattern` with, so what boots is what fires.
const cron = z.string().superRefine((text, ctx) => {
  const fields = text.trim().split(/\s+/).length;
  if (fields < 5 || fields > 6) return void ctx.addIssue({ code: 'custom', message: `"${text}" is not a cron pattern: it needs 5 fields (minute hour day month weekday), or 6 with seconds first` });
  try {
    CronExpressionParser.parse(text, { strict: false });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a cron pattern: ${(error as Error).message}` });
  }
});

const digestPeriod = z.string().refine((text) => text === 'quarter' || DURATION_PATTERN.test(text), 'a period: 7d, 30d, 90d, quarter or another duration like 14d');

// A digest: a KPI message with a trend chart, posted in `channel` at each `cron` time (read in `tz`).
const digest = z
  .strictObject({
    channel: channelId,
    cron,
    period: digestPeriod.default('7d'),
    tz: timezone.optional(),
    services: z.array(identifier).min(1).optional(),
    team: identifier.optional(),
  })
  .refine((d) => !(d.services && d.team), { message: 'a digest names services or a team, not both', path: ['team'] });

const service = z.strictObject({
  name: z.string().min(1),
  channel: channelId,
  audience: z.array(audienceId).default([]),
  jira_project: z.string().regex(/^[A-Z][A-Z0-9_]+$/, 'a Jira project key like CHG').optional(),
  github_repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/repository').optional(),
  policy: z.string(),
  deployment_model: z.string(),
  versions: z.enum(['semver', 'any']).default('semver'),
  notify: notify.optional(),
  // Who works on the service (user ids or names under groups:): may lock it, with the release managers.
  members: z.array(z.string().min(1)).default([]),
});

const RelmFileSchema = z
  .strictObject({
    timezone: timezone.default('UTC'),
    approvers_can_self_approve: z.boolean().default(false),
    release_managers: z.array(z.string()).default([]),
    installers: z.array(z.string()).default([]),
    groups: z.record(identifier, z.array(slackUser)).default({}),
    notify: notify.default({}),
    services: z.record(identifier, service),
    // Groupings of services, for KPIs and digests.
    teams: z.record(identifier, z.array(identifier).min(1)).default({}),
    policies: z.record(identifier, policy),
    deployment_models: z.record(identifier, deploymentModel),
    digests: z.array(digest).default([]),
    jira: z
      .object({
        issue_type: z.string().min(1).default('Change'),
        transitions: z.partialRecord(z.enum(RELEASE_STATES), z.string().min(1)).default({}),
        approved_statuses: z.array(z.string()).default(['Approved']),
        declined_statuses: z.array(z.string()).default(['Declined']),
        cancelled_statuses: z.array(z.string()).default(['Cancelled']),
        // relm value -> Jira field id; custom field ids differ per site (GET /rest/api/3/field lists them).
        fields: z.strictObject(Object.fromEntries(JIRA_FIELD_NAMES.map((name) => [name, jiraFieldId.optional()])) as Record<JiraFieldName, z.ZodOptional<typeof jiraFieldId>>).default({}),
        risk_values: z.partialRecord(z.enum(RISKS), z.string().min(1)).default({}),
        link_type: z.string().min(1).default('Relates'),
        incident_types: z.array(z.string().min(1)).min(1).default(['Incident']),
        follow_up_issue_type: z.string().min(1).default('Task'),
      })
      .optional(),
    github: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((file, ctx) => {
    for (const [key, svc] of Object.entries(file.services)) {
      svc.audience.forEach((entry, i) => {
        if (!/^[CGUWS][A-Z0-9]+$/.test(entry) && !Object.hasOwn(file.groups, entry)) {
          ctx.addIssue({ code: 'custom', path: ['services', key, 'audience', i], message: `"${entry}" is neither a Slack channel, user or user-group id nor a name under groups:` });
        }
      });
      if (!own(file.policies, svc.policy)) ctx.addIssue({ code: 'custom', path: ['services', key, 'policy'], message: `no policy named "${svc.policy}" under policies:` });
      if (!own(file.deployment_models, svc.deployment_model)) ctx.addIssue({ code: 'custom', path: ['services', key, 'deployment_model'], message: `no deployment model named "${svc.deployment_model}" under deployment_models:` });
    }
    for (const [team, members] of Object.entries(file.teams)) {
      // `kpi <name>` takes a service or a team: one name must not mean both.
      if (own(file.services, team)) ctx.addIssue({ code: 'custom', path: ['teams', team], message: `"${team}" is already a service's name; a team needs a name of its own` });
      members.forEach((member, i) => {
        if (!own(file.services, member)) ctx.addIssue({ code: 'custom', path: ['teams', team, i], message: `no service named "${member}" under services:` });
      });
    }
    file.digests.forEach((d, i) => {
      if (d.team !== undefined && !own(file.teams, d.team)) ctx.addIssue({ code: 'custom', path: ['digests', i, 'team'], message: `no team named "${d.team}" under teams:` });
      d.services?.forEach((name, j) => {
        if (!own(file.services, name)) ctx.addIssue({ code: 'custom', path: ['digests', i, 'services', j], message: `no service named "${name}" under services:` });
      });
    });
    for (const [name, pol] of Object.entries(file.policies)) {
      for (const [type, rule] of Object.entries(pol.approvals)) {
        rule?.from.forEach((entry, i) => {
          if (!/^[UWS][A-Z0-9]+$/.test(entry) && !own(file.groups, entry)) {
            ctx.addIssue({ code: 'custom', path: ['policies', name, 'approvals', type, 'from', i], message: `"${entry}" is neither a Slack user or user-group id nor a name under groups:` });
          }
        });
      }
    }
    for (const [name, model] of Object.entries(file.deployment_models)) {
      if (model.deployer === 'webhook' && !model.webhook) ctx.addIssue({ code: 'custom', path: ['deployment_models', name], message: 'the webhook deployer needs webhook: { url }' });
    }
  });

export type RelmFile = z.infer<typeof RelmFileSchema>;

/** A relm.yml problem, located: `relm.yml:12:5: services.payments.channel: ...`. */
export interface ConfigProblem {
  line: number;
  column: number;
  path: string;
  message: string;
}

export class ConfigFileError extends Error {
  readonly file: string;
  readonly problems: ConfigProblem[];
  constructor(file: string, problems: ConfigProblem[]) {
    super(problems.map((p) => `${file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'));
    this.name = 'ConfigFileError';
    this.file = file;
    this.problems = problems;
  }
}

/** Parses relm.yml text; throws ConfigFileError naming the line of every problem. */
export function parseRelmFile(text: string, file = 'relm.yml'): { raw: RelmFile; settings: Settings } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigFileError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { line: pos.line, column: pos.col, path: '', message: e.message.split('\n')[0] ?? e.message };
      }),
    );
  }
  const parsed = RelmFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw new ConfigFileError(
      file,
      parsed.error.issues.map((issue) => {
        // Point at the deepest node that exists, so "missing key" errors land on their parent, and an
        // unknown key at the key itself.
        let node: unknown;
        if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
          const parent = doc.getIn(issue.path as (string | number)[], true) as { items?: { key?: { value?: unknown; range?: [number, number] } }[] } | undefined;
          node = parent?.items?.find((pair) => pair.key?.value === issue.keys[0])?.key;
        }
        for (let depth = issue.path.length; depth >= 0 && !node; depth--) {
          node = depth === 0 ? doc.contents : doc.getIn(issue.path.slice(0, depth) as (string | number)[], true);
        }
        const range = (node as { range?: [number, number] } | undefined)?.range;
        const pos = range ? lineCounter.linePos(range[0]) : { line: 1, col: 1 };
        return { line: pos.line, column: pos.col, path: issue.path.join('.'), message: issue.message };
      }),
    );
  }
  return { raw: parsed.data, settings: toSettings(parsed.data) };
}

export function loadRelmFile(path: string): { raw: RelmFile; settings: Settings } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigFileError(path, [{ line: 1, column: 1, path: '', message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); set RELM_CONFIG or copy relm.yml from the repository` }]);
  }
  return parseRelmFile(text, path);
}

const DEFAULT_NOTIFY = { before: ['24h', '1h'], quiet_hours: '20:00-08:00' };

function minutesOf(clock: string): number {
  const [h, m] = clock.trim().split(':').map(Number);
  return h! * 60 + m!;
}

function toNotify(file: RelmFile, service?: RelmFile['services'][string]): NotifySettings {
  const before = service?.notify?.before ?? file.notify.before ?? DEFAULT_NOTIFY.before;
  const [from, to] = (service?.notify?.quiet_hours ?? file.notify.quiet_hours ?? DEFAULT_NOTIFY.quiet_hours).split('-');
  return {
    beforeMs: [...new Set(before.map(parseDuration))].sort((a, b) => b - a),
    quietHours: { fromMinute: minutesOf(from!), toMinute: minutesOf(to!) },
  };
}

function toDigest(file: RelmFile, d: RelmFile['digests'][number]): DigestSettings {
  const entry = {
    channel: d.channel,
    cron: d.cron.trim(),
    tz: d.tz ?? file.timezone,
    period: d.period,
    services: d.team ? [...new Set(file.teams[d.team] ?? [])] : d.services ? [...new Set(d.services)] : null,
    team: d.team ?? null,
  };
  return { id: digestId(entry), ...entry, periodMs: d.period === 'quarter' ? null : parseDuration(d.period) };
}

function toSettings(file: RelmFile): Settings {
  return {
    timezone: file.timezone,
    approversCanSelfApprove: file.approvers_can_self_approve,
    releaseManagers: file.release_managers.flatMap((entry) => own(file.groups, entry) ?? [entry]),
    installers: file.installers.flatMap((entry) => own(file.groups, entry) ?? [entry]),
    groups: file.groups,
    services: Object.fromEntries(
      Object.entries(file.services).map(([key, s]) => [
        key,
        {
          key,
          name: s.name,
          channel: s.channel,
          audience: s.audience,
          jiraProject: s.jira_project,
          githubRepo: s.github_repo,
          policy: s.policy,
          deploymentModel: s.deployment_model,
          versionScheme: s.versions,
          notify: toNotify(file, s),
          members: s.members.flatMap((entry) => own(file.groups, entry) ?? [entry]),
        },
      ]),
    ),
    policies: Object.fromEntries(
      Object.entries(file.policies).map(([name, p]) => [
        name,
        {
          name,
          approvals: Object.fromEntries(
            RELEASE_TYPES.filter((type) => p.approvals[type]).map((type) => {
              const rule = p.approvals[type]!;
              return [type, { required: rule.required, from: rule.from, bypassFreeze: rule.bypass_freeze, passesLocks: rule.passes_locks }];
            }),
          ),
          conflicts: p.conflicts,
          highRisk: p.approvals.high_risk ? { required: p.approvals.high_risk.required, from: p.approvals.high_risk.from } : null,
          risk: p.risk
            ? {
                types: p.risk.type,
                targets: p.risk.targets,
                waves: p.risk.waves,
                bundle: p.risk.bundle,
                noTestEvidence: p.risk.no_test_evidence,
                recentFailures: p.risk.recent_failures ? { withinMs: parseDuration(p.risk.recent_failures.within), points: p.risk.recent_failures.points, max: p.risk.recent_failures.max } : undefined,
                outsideWindows: p.risk.outside_windows,
                nearFreeze: p.risk.near_freeze ? { withinMs: parseDuration(p.risk.near_freeze.within), points: p.risk.near_freeze.points } : undefined,
                medium: p.risk.medium,
                high: p.risk.high,
              }
            : null,
          calendar: { timezone: file.timezone, windows: p.windows.map(parseWindow), freezes: p.freezes },
          approvalExpiresAfterMs: p.approval_expires_after ? parseDuration(p.approval_expires_after) : null,
          approvalSource: p.approval_source,
          requireTrainingMaterial: p.require_training_material,
          remindAfterMs: p.remind_after ? parseDuration(p.remind_after) : null,
          escalateAfterMs: p.escalate_after ? parseDuration(p.escalate_after) : null,
          workingHours: p.working_hours.map(parseWindow),
          requireReview: p.require_review === 'all' || p.require_review.includes('all') ? ['all'] : p.require_review,
        },
      ]),
    ),
    deploymentModels: Object.fromEntries(
      Object.entries(file.deployment_models).map(([name, m]) => [
        name,
        {
          name,
          deployer: m.deployer,
          waves: m.waves.map((w) => ({ name: w.name, targets: w.targets, bakeMs: w.bake ? parseDuration(w.bake) : 0, checklist: w.checklist, rollback: w.rollback, verify: w.verify ? { url: w.verify.url, expect: w.verify.expect, timeoutMs: parseDuration(w.verify.timeout) } : undefined })),
          webhook: m.webhook ? { url: m.webhook.url, secretEnv: m.webhook.secret_env } : undefined,
          github: { pollMs: parseDuration(m.github?.poll ?? '30s'), timeoutMs: parseDuration(m.github?.timeout ?? '1h') },
          reviewAfterMs: parseDuration(m.review_after),
          ...(m.early_life_support ? { earlyLifeSupportMs: parseDuration(m.early_life_support) } : {}),
        },
      ]),
    ),
    teams: Object.fromEntries(Object.entries(file.teams).map(([team, members]) => [team, [...new Set(members)]])),
    digests: file.digests.map((d) => toDigest(file, d)),
    jira: {
      issueType: file.jira?.issue_type ?? 'Change',
      transitions: file.jira?.transitions ?? {},
      approvedStatuses: file.jira?.approved_statuses ?? ['Approved'],
      declinedStatuses: file.jira?.declined_statuses ?? ['Declined'],
      cancelledStatuses: file.jira?.cancelled_statuses ?? ['Cancelled'],
      fields: file.jira?.fields ?? {},
      riskValues: file.jira?.risk_values ?? {},
      linkType: file.jira?.link_type ?? 'Relates',
      incidentTypes: file.jira?.incident_types ?? ['Incident'],
      followUpIssueType: file.jira?.follow_up_issue_type ?? 'Task',
    },
    githubTag: typeof file.github?.tag === 'string' && file.github.tag.includes('{version}') ? file.github.tag : 'v{version}',
  };
}
