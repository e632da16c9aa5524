import type { ChainCheck } from '../../core/audit.ts';
import type { Policy } from '../../core/policy.ts';
import type { ServiceSettings, Settings } from '../../core/settings.ts';
import type { ReleaseDetail } from '../../core/usecases/queries.ts';
import { releaseKey, type Release } from '../../core/release.ts';
import { formatDuration } from '../../config/duration.ts';
import { approverRef, clip, escapeText, mention, renderMarks, slackTime, stateLabel } from './format.ts';
import { contactRef, releaseHeadline, trainingText } from './card.ts';
import { renderThreadNote } from './notes.ts';
import { reviewStatusText } from './review.ts';
import { syncsWith } from '../../core/effects/index.ts';
import { coordinationLines, riskText } from './control.ts';

function renderWarnings(warnings: string[]): string[] {
  return warnings.map((w) => `• ${renderMarks(w)}`);
}

/** The answer to `new`: what was planned, when it starts, and what it still needs. */
export function renderPlanned(release: Release & { cardChannel: string | null }, warnings: string[]): string {
  return [
    `:memo: Planned *${releaseKey(release.id)}*: ${escapeText(release.service)} ${escapeText(release.version)} (${release.type}).${release.cardChannel ? ` Its card is in <#${release.cardChannel}>.` : ''}`,
    `Planned start: ${release.plannedStart ? slackTime(release.plannedStart) : 'not set (`/release schedule ' + releaseKey(release.id) + ' tomorrow 10:00`)'}`,
    ...renderWarnings(warnings),
    `Next: \`/release submit ${releaseKey(release.id)}\`.`,
  ].join('\n');
}

/** The answer to a change of plan, by text or in the form. */
export function renderReplanned(release: Release, warnings: string[]): string {
  const lines = [`:memo: Updated *${releaseKey(release.id)}*: ${escapeText(release.service)} ${escapeText(release.version)}, now revision ${release.revision}.`];
  if (release.plannedStart) lines.push(`Planned start: ${slackTime(release.plannedStart)}`);
  lines.push(...renderWarnings(warnings));
  if (release.state === 'draft') lines.push(`Next: \`/release submit ${releaseKey(release.id)}\` or the Submit button on its card.`);
  if (release.state === 'submitted' && release.revision > 1) lines.push('The approvers are asked again for this revision.');
  return lines.join('\n');
}

/** The approver's answer: their approval counted, and where the release stands now. */
export function renderApproved(result: { release: Release; status: { valid: unknown[]; required: number }; decisive: boolean }): string {
  const key = releaseKey(result.release.id);
  if (!result.decisive) return `:+1: You approved *${key}* (${result.status.valid.length} of ${result.status.required}).`;
  const r = result.release;
  if (r.state === 'scheduled' && r.plannedStart) return `:white_check_mark: You approved *${key}*; it is authorised and scheduled for ${slackTime(r.plannedStart)}.`;
  return `:white_check_mark: You approved *${key}*; it is authorised (${stateLabel(r.state)}).${r.plannedStart ? '' : ` Schedule it with \`/release schedule ${key} <when>\` or start it with \`/release start ${key}\`.`}`;
}

export function renderList(releases: Release[], filter: { service?: string; state?: string }): string {
  if (releases.length === 0) return `No releases${filter.service ? ` of ${escapeText(filter.service)}` : ''}${filter.state ? ` in state ${filter.state}` : ''}.`;
  return releases
    .map((r) => `• *${releaseKey(r.id)}* ${escapeText(r.service)} ${escapeText(r.version)}: ${clip(r.title, 80)} · ${stateLabel(r.state)}${r.plannedStart ? ` · ${slackTime(r.plannedStart)}` : ''}`)
    .join('\n');
}

const SHOWN_HISTORY = 15;

/** The audience's rating: the mean to one decimal and how many rated. */
export function ratingText(rating: { responses: number; mean: number | null }): string {
  return `${(rating.mean ?? 0).toFixed(1)} of 5 from ${rating.responses} ${rating.responses === 1 ? 'person' : 'people'}`;
}

/** A channel or person of the audience, as Slack shows them. */
function audienceRef(id: string): string {
  if (/^[CG][A-Z0-9]+$/.test(id)) return `<#${id}>`;
  if (/^[UW][A-Z0-9]+$/.test(id)) return `<@${id}>`;
  return escapeText(id);
}

export function renderShow(detail: ReleaseDetail): string {
  const r = detail.release;
  const lines = [
    `*${releaseHeadline(detail)}*  ${stateLabel(r.state)}`,
    `${r.type} · risk ${riskText(r)} · model ${escapeText(r.deploymentModel)} · revision ${r.revision} · planned by ${mention(r.requester)}`,
    `Planned start: ${r.plannedStart ? slackTime(r.plannedStart) : 'not set'}${r.rescheduleCount ? ` (rescheduled ${r.rescheduleCount}×)` : ''}`,
    r.jiraKey ? `Change ticket: ${escapeText(r.jiraKey)}${detail.syncProblems.some((p) => syncsWith(p.kind) === 'jira') ? ' (out of sync, see below)' : detail.syncPending.some((kind) => syncsWith(kind) === 'jira') ? ' (sync pending: relm is still updating it)' : ' (in sync)'}` : '',
    ...coordinationLines(detail, 10),
    `Approvals: ${detail.approval.valid.length} of ${detail.approval.required}${detail.approval.valid.length ? ` (${detail.approval.valid.map((d) => mention(d.approver)).join(', ')})` : ''}${detail.approval.validUntil ? `, valid until ${slackTime(detail.approval.validUntil)}` : ''}`,
    r.description ? `*Description:* ${clip(r.description, 800)}` : '',
    `*Rollback plan:* ${r.rollbackPlan ? clip(r.rollbackPlan, 800) : '_none_'}`,
    `*Test evidence:* ${r.testEvidence ? clip(r.testEvidence, 800) : '_none_'}`,
    `*Training needed:* ${trainingText(r)}`,
    detail.rating.responses ? `*Rated:* ${ratingText(detail.rating)}` : '',
    ...detail.rating.comments.map((c) => `> ${mention(c.rater)} (${c.score} of 5): "${clip(c.comment ?? '', 300)}"`),
    reviewStatusText(detail.review, r.id),
    r.impact ? `*Impact on users:* ${clip(r.impact, 600)}` : '',
    r.contact ? `*Contact during early life support:* ${contactRef(r.contact)}` : '',
    r.assets?.length ? `*Release assets:* ${r.assets.map((a) => `${escapeText(a.name)} (${a.sha256.slice(0, 12)}…)`).join(', ')} · ${r.assetsVerifiedAt ? `verified on GitHub ${slackTime(r.assetsVerifiedAt)}` : r.assetsProblem ? `:x: ${clip(r.assetsProblem, 300)}` : 'checked before the first wave'}` : '',
    detail.incidents.length ? `:rotating_light: *Incidents caused by this release:* ${detail.incidents.length} (${detail.incidents.map((i) => `${clip(i.ref, 100)}${i.resolvedAt ? ' _resolved_' : ''}`).join(', ')})` : '',
    detail.unknownWorkItems.length ? `:grey_question: Linked work items Jira does not know: ${detail.unknownWorkItems.map((k) => escapeText(k)).join(', ')}` : '',
    ...detail.syncProblems.map((p) => `:warning: *${escapeText(p.kind.replace(/_/g, ' '))} failed:* ${clip(p.error, 300)}`),
    detail.heldNotices ? `:zzz: ${detail.heldNotices} audience notice${detail.heldNotices === 1 ? '' : 's'} waiting for their moment (reminders, and messages held through their readers' night)` : '',
    detail.unreached.total ? `:no_entry: *Not reached:* ${detail.unreached.first.map((u) => `${audienceRef(u.who)} (${clip(u.reason.replace(/^Slack [\w.]+ failed: /, ''), 80)})`).join(', ')}${detail.unreached.total > detail.unreached.first.length ? ` … and ${detail.unreached.total - detail.unreached.first.length} more` : ''}` : '',
    '*History*',
    ...(detail.history.length > SHOWN_HISTORY ? [`_${detail.history.length - SHOWN_HISTORY} earlier entr${detail.history.length - SHOWN_HISTORY === 1 ? 'y' : 'ies'} not shown: \`/release audit ${releaseKey(r.id)}\` lists them all._`] : []),
    ...detail.history.slice(-SHOWN_HISTORY).map((e) => `${slackTime(e.at)} ${renderThreadNote(e)}`),
  ];
  return lines.filter(Boolean).join('\n');
}

function renderPolicy(policy: Policy, services: ServiceSettings[]): string {
  const rules = Object.entries(policy.approvals).map(
    ([type, rule]) => `  • ${type}: ${rule.required} from ${rule.from.map(approverRef).join(', ')}${rule.bypassFreeze ? ' (may go ahead in a freeze)' : ''}`,
  );
  const windows = policy.calendar.windows.map((w) => escapeText(w.text)).join(', ') || 'any time';
  const freezes = policy.calendar.freezes.map((f) => `${f.from} to ${f.to} (${escapeText(f.reason)})`).join('; ') || 'none';
  return [
    `*Policy ${escapeText(policy.name)}* for ${services.map((s) => escapeText(s.key)).join(', ') || 'no service'}`,
    '*Approvals*',
    ...rules,
    `*Change windows* (${escapeText(policy.calendar.timezone)}): ${windows}`,
    `*Freezes:* ${freezes}`,
    `*Approvals expire after:* ${policy.approvalExpiresAfterMs ? formatDuration(policy.approvalExpiresAfterMs) : 'never'} · *approval source:* ${policy.approvalSource}`,
    ...(policy.requireTrainingMaterial ? ['*Training:* a release that needs training is submitted with links to its material'] : []),
  ].join('\n');
}

export function renderPolicies(settings: Settings, service?: ServiceSettings): string {
  const policies = service ? [settings.policies[service.policy]!] : Object.values(settings.policies);
  const requesterRule = settings.approversCanSelfApprove ? 'Requesters may approve their own releases.' : 'Nobody approves their own release.';
  return [...policies.map((p) => renderPolicy(p, Object.values(settings.services).filter((s) => s.policy === p.name && (!service || s.key === service.key)))), requesterRule].join('\n\n');
}

export function renderChainCheck(check: ChainCheck): string {
  return check.ok
    ? `:lock: Audit trail intact: ${check.entries} entr${check.entries === 1 ? 'y' : 'ies'}, every hash links to the one before.`
    : `:rotating_light: Audit trail broken at entry ${check.brokenAt}: ${check.reason}.`;
}

/** The answers to the lifecycle and rollout controls, the same by button and by text. */
export const answers = {
  submitted: (release: { id: number; cardChannel: string | null }) => `:outbox_tray: Submitted *${releaseKey(release.id)}* for approval${release.cardChannel ? `; the request is in <#${release.cardChannel}>` : ''}.`,
  cancelled: (id: number) => `:wastebasket: Cancelled *${releaseKey(id)}*.`,
  rejected: (id: number) => `:no_entry: You rejected *${releaseKey(id)}*.`,
  started: (id: number) => `:rocket: Starting *${releaseKey(id)}* now; each wave still waits for an open change window.`,
  paused: (id: number) => `:double_vertical_bar: Paused *${releaseKey(id)}*.`,
  resumed: (id: number) => `:arrow_forward: Resumed *${releaseKey(id)}*.`,
  retried: (id: number) => `:repeat: Retrying the failed wave of *${releaseKey(id)}*.`,
  continued: (id: number) => `:fast_forward: Continuing *${releaseKey(id)}* with its next wave.`,
  aborted: (id: number) => `:octagonal_sign: Aborted the rollout of *${releaseKey(id)}*; it ends failed. Roll back from the card if needed.`,
  rollingBack: (id: number) => `:rewind: Rolling back *${releaseKey(id)}*: each wave that started is rolled back, newest first.`,
  ratedWithComment: (id: number, score: number, comment: string | null, changed: boolean) =>
    `:pray: Thanks: you rated *${releaseKey(id)}* ${score} of 5${comment ? ` and said "${clip(comment, 200)}"` : ' with no comment'}${changed ? ' (your earlier rating is replaced)' : ''}.`,
  rated: (id: number, score: number, changed: boolean) => `:pray: Thanks: you rated *${releaseKey(id)}* ${score} of 5${changed ? ' (your earlier rating is replaced)' : ''}. Press another number to change it.`,
  waveDone: (step: { waveName: string; kind: string }) => `:white_check_mark: ${step.kind === 'rollback' ? 'The rollback of wave' : 'Wave'} ${escapeText(step.waveName)} is done.`,
  waveFailed: (step: { waveName: string; kind: string }) => `:x: ${step.kind === 'rollback' ? 'The rollback of wave' : 'Wave'} ${escapeText(step.waveName)} failed; the rollout is paused. Retry, continue or roll back from the card.`,
};
