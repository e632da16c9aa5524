import type { ChainCheck } from '../../core/audit.ts';
import type { Policy, ServiceSettings, Settings } from '../../core/policy.ts';
import type { ReleaseDetail } from '../../core/usecases/queries.ts';
import { releaseKey, type Release } from '../../core/release.ts';
import { formatDuration } from '../../config/duration.ts';
import { approverRef, clip, escapeText, mention, slackTime, stateLabel } from './format.ts';
import { releaseHeadline } from './card.ts';
import { renderThreadNote } from './notes.ts';

export const HELP_TEXT = [
  '*/release* plans, authorises and tracks releases. `REL-12` names a release.',
  '• `new` opens the planning form; `new payments 1.4.0 --type minor --at "2026-12-01 10:00" --title "Faster checkout" --risk low --model three-waves` plans directly',
  '  `--waves "canary=eu-1@10m; rest=eu-2,us-1"` overrides the model\'s waves for this release',
  '• `edit REL-12` changes the plan (approvals given so far no longer count)',
  '• `submit REL-12` asks the approvers',
  '• `approve REL-12 [comment]`, `reject REL-12 <reason>`: the same as the buttons',
  '• `schedule REL-12 "2026-12-01 10:00"` sets or moves the planned start',
  '• `cancel REL-12 [reason]` withdraws a release that has not started',
  '• `start REL-12` rolls out now; `pause`, `resume`, `retry` (the failed wave), `continue` (past it), `abort REL-12 <reason>`, `rollback REL-12 <reason>`',
  '• `calendar [days]`: the forward schedule of change, windows, freezes and the next free slot',
  '• `where payments`: which version runs on which target (relm\'s rollouts and GitHub deployments)',
  '• `list [service] [--state submitted]`, `show REL-12`: what is planned and where it stands',
  '• `policy [service]`: who approves what, change windows and freezes',
  '• `audit [REL-12]`: the audit trail, and whether its hash chain is intact',
  '• `incident REL-12 <ticket or text>`: records an incident caused by the release (`INC-42`, or a few words)',
].join('\n');

export function renderList(releases: Release[], filter: { service?: string; state?: string }): string {
  if (releases.length === 0) return `No releases${filter.service ? ` of ${escapeText(filter.service)}` : ''}${filter.state ? ` in state ${filter.state}` : ''}.`;
  return releases
    .map((r) => `• *${releaseKey(r.id)}* ${escapeText(r.service)} ${escapeText(r.version)}: ${clip(r.title, 80)} · ${stateLabel(r.state)}${r.plannedStart ? ` · ${slackTime(r.plannedStart)}` : ''}`)
    .join('\n');
}

export function renderShow(detail: ReleaseDetail): string {
  const r = detail.release;
  const lines = [
    `*${releaseHeadline(detail)}*  ${stateLabel(r.state)}`,
    `${r.type} · risk ${r.risk} · model ${escapeText(r.deploymentModel)} · revision ${r.revision} · planned by ${mention(r.requester)}`,
    `Planned start: ${r.plannedStart ? slackTime(r.plannedStart) : 'not set'}${r.rescheduleCount ? ` (rescheduled ${r.rescheduleCount}×)` : ''}`,
    r.jiraKey ? `Change ticket: ${escapeText(r.jiraKey)}${detail.syncProblems.some((p) => p.kind.startsWith('jira')) ? ' (out of sync, see below)' : detail.syncPending.some((k) => k.startsWith('jira')) ? ' (sync pending: relm is still updating it)' : ' (in sync)'}` : '',
    `Approvals: ${detail.approval.valid.length} of ${detail.approval.required}${detail.approval.valid.length ? ` (${detail.approval.valid.map((d) => mention(d.approver)).join(', ')})` : ''}${detail.approval.validUntil ? `, valid until ${slackTime(detail.approval.validUntil)}` : ''}`,
    r.description ? `*Description:* ${clip(r.description, 800)}` : '',
    `*Rollback plan:* ${r.rollbackPlan ? clip(r.rollbackPlan, 800) : '_none_'}`,
    `*Test evidence:* ${r.testEvidence ? clip(r.testEvidence, 800) : '_none_'}`,
    r.assets?.length ? `*Release assets:* ${r.assets.map((a) => `${escapeText(a.name)} (${a.sha256.slice(0, 12)}…)`).join(', ')} · ${r.assetsVerifiedAt ? `verified on GitHub ${slackTime(r.assetsVerifiedAt)}` : r.assetsProblem ? `:x: ${clip(r.assetsProblem, 300)}` : 'checked before the first wave'}` : '',
    detail.incidents.length ? `:rotating_light: *Incidents caused by this release:* ${detail.incidents.length} (${detail.incidents.map((i) => clip(i.ref, 100)).join(', ')})` : '',
    detail.unknownWorkItems.length ? `:grey_question: Linked work items Jira does not know: ${detail.unknownWorkItems.map((k) => escapeText(k)).join(', ')}` : '',
    ...detail.syncProblems.map((p) => `:warning: *${escapeText(p.kind.replace(/_/g, ' '))} failed:* ${clip(p.error, 300)}`),
    '*History*',
    ...detail.history.slice(-15).map((e) => `${slackTime(e.at)} ${renderThreadNote(e)}`),
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
