import type { AuditEntry } from '../../core/audit.ts';
import type { ReleaseDetail } from '../../core/usecases/queries.ts';
import { releaseKey } from '../../core/release.ts';
import { clip, escapeText, mention, slackTime, stateLabel } from './format.ts';
import { releaseHeadline } from './card.ts';
import { formatKpiValue } from '../../core/kpi/format.ts';

function field(value: unknown, key: string): string | undefined {
  const v = (value as Record<string, unknown> | null)?.[key];
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** ", restored 2.5 h after it was recorded": the time to restore an incident counts for the KPIs. */
function restoreText(recordedAt: string | undefined, resolvedAt: string | undefined): string {
  if (!recordedAt || !resolvedAt) return '';
  const hours = (Date.parse(resolvedAt) - Date.parse(recordedAt)) / 3_600_000;
  return Number.isFinite(hours) ? `, ${formatKpiValue('hours', hours)} after it was recorded` : '';
}

/** One line in the card's thread for each audit entry: the detail behind the card. */
export function renderThreadNote(entry: AuditEntry): string {
  const who = mention(entry.actor);
  switch (entry.action) {
    case 'planned':
      return `${who} planned this release.`;
    case 'submitted':
      return `${who} submitted revision ${field(entry.after, 'revision')} for approval.`;
    case 'approval_given': {
      const comment = field(entry.after, 'comment');
      return `${who} approved revision ${field(entry.after, 'revision')} (${field(entry.after, 'approvals')} of ${field(entry.after, 'required')})${comment ? `: "${clip(comment, 500)}"` : '.'}`;
    }
    case 'approved':
      return `:white_check_mark: Approved. It may go live as planned.`;
    case 'rejected':
      return `${who} rejected it: "${clip(field(entry.after, 'reason') ?? '', 800)}"`;
    case 'replanned': {
      const voided = field(entry.after, 'approvalsVoided') === 'true';
      return `${who} changed the plan (now revision ${field(entry.after, 'revision')}).${voided ? ' Earlier approvals no longer count; approval is asked again.' : ''}`;
    }
    case 'cancelled': {
      const reason = field(entry.after, 'reason');
      return `${who} cancelled it${reason ? `: "${clip(reason, 500)}"` : '.'}`;
    }
    case 'wave_started':
      return `:arrow_forward: Wave ${escapeText(field(entry.after, 'wave') ?? '')} started${Number(field(entry.after, 'try')) > 1 ? ` (try ${field(entry.after, 'try')})` : ''}.`;
    case 'wave_deployed':
      return `${who} reported wave ${escapeText(field(entry.after, 'wave') ?? '')} deployed${field(entry.after, 'next') === 'baking' ? '; baking before the next wave' : ''}.`;
    case 'rollout_started':
      return `:rocket: ${entry.actor === 'relm' ? 'The rollout started at its planned time' : `${who} started the rollout`}.`;
    case 'rollout_completed':
      return ':tada: The rollout is complete: every wave is done.';
    case 'wave_completed':
      return `:white_check_mark: Wave ${escapeText(field(entry.after, 'wave') ?? '')} is done${field(entry.after, 'baked') === 'true' ? ' and has baked' : ''}.`;
    case 'wave_failed':
    case 'rollback_step_failed':
      return `:x: ${entry.action === 'wave_failed' ? 'Wave' : 'Rollback of'} ${escapeText(field(entry.after, 'wave') ?? '')} failed${field(entry.after, 'detail') ? `: ${clip(field(entry.after, 'detail')!, 300).replace(/&lt;@([UW][A-Z0-9]+)&gt;/g, '<@$1>')}` : ''}.`;
    case 'wave_waiting': {
      const wave = escapeText(field(entry.after, 'wave') ?? '');
      const reason = field(entry.after, 'reason');
      if (reason === 'conflict') return `:hourglass: Wave ${wave} waits for a conflicting rollout to finish (${listOf(entry.after, 'rollouts').map((id) => `REL-${escapeText(id)}`).join(', ')}).`;
      if (reason === 'lock') return `:lock: Wave ${wave} waits for a deploy lock, until ${slackTime(new Date(field(entry.after, 'until') ?? entry.at.toISOString()))} at the latest.`;
      return `:hourglass: Wave ${wave} waits for ${reason === 'freeze' ? 'the end of a freeze' : 'the change window'} until ${slackTime(new Date(field(entry.after, 'until') ?? entry.at.toISOString()))}.`;
    }
    case 'start_forced':
      return `:warning: ${who} started the rollout past any conflicting rollout (\`--force\`).`;
    case 'conflict_overridden':
      return `:warning: Wave ${escapeText(field(entry.after, 'wave') ?? '')} went ahead while ${listOf(entry.after, 'rollouts').map((id) => `REL-${escapeText(id)}`).join(', ')} rolled out, as ${mention(field(entry.after, 'forcedBy') ?? '')} asked.`;
    case 'lock_passed':
      return `:warning: ${escapeText(field(entry.after, 'type') ?? '')} release: wave ${escapeText(field(entry.after, 'wave') ?? '')} went ahead past a deploy lock, as its policy allows.`;
    case 'freeze_bypassed':
      return `:warning: Emergency: wave ${escapeText(field(entry.after, 'wave') ?? '')} went ahead ${field(entry.after, 'reason') === 'freeze' ? 'in a freeze' : 'outside the change windows'}, on its approvals.`;
    case 'assets_verified':
      return `:white_check_mark: The release assets are on GitHub with the planned sha256 digests.`;
    case 'assets_problem':
      return `:x: Release assets: ${clip(field(entry.after, 'problem') ?? '', 300)}.`;
    case 'incident_recorded': {
      const ref = field(entry.after, 'ref') ?? '';
      return field(entry.after, 'source') === 'jira'
        ? `:rotating_light: Incident ${escapeText(ref)} was linked to the change ticket in Jira: it counts as caused by this release.`
        : `:rotating_light: ${who} recorded an incident caused by this release: "${clip(ref, 300)}"`;
    }
    case 'incident_resolved': {
      const ref = field(entry.after, 'ref') ?? '';
      const took = restoreText(field(entry.after, 'recordedAt'), field(entry.after, 'resolvedAt'));
      return field(entry.after, 'source') === 'jira'
        ? `:white_check_mark: Incident ${escapeText(ref)} was resolved in Jira${took}.`
        : `:white_check_mark: ${who} resolved the incident "${clip(ref, 300)}"${took}.`;
    }
    case 'incident_reopened':
      return `:rotating_light: Incident ${escapeText(field(entry.after, 'ref') ?? '')} was reopened in Jira: it is open again, and its time to restore runs until it is resolved once more.`;
    case 'incident_removed':
      return `:link: ${escapeText(field(entry.after, 'ref') ?? '')} is no longer linked to the change ticket in Jira: it no longer counts as an incident of this release.`;
    case 'review_written':
    case 'review_edited': {
      const actions = (entry.after as { actions?: unknown } | null)?.actions;
      const count = Array.isArray(actions) ? actions.length : 0;
      return `:memo: ${who} ${entry.action === 'review_written' ? 'wrote the post-release review' : 'changed the post-release review'}${count ? ` (${count} follow-up action${count === 1 ? '' : 's'})` : ''}.`;
    }
    case 'checklist_ticked':
      return `${who} ticked "${clip(field(entry.after, 'item') ?? '', 200)}" (${escapeText(field(entry.after, 'wave') ?? '')}).`;
    case 'deployment_protection': {
      // What GitHub sent is escaped; relm's own comment names it and is escaped with it.
      const approved = field(entry.after, 'state') === 'approved';
      const sha = field(entry.after, 'sha');
      const what = [field(entry.after, 'ref'), sha ? sha.slice(0, 7) : undefined].filter(Boolean).join(' @ ');
      return `${approved ? ':shield: Approved' : ':no_entry: Rejected'} a GitHub deployment to ${escapeText(field(entry.after, 'environment') ?? '')}${what ? ` (${escapeText(what)})` : ''}: ${clip(field(entry.after, 'comment') ?? '', 500)}`;
    }
    case 'rollback_requested':
    case 'rollout_aborted': {
      const reason = field(entry.after, 'reason');
      return `${who} ${entry.action === 'rollback_requested' ? 'asked for a rollback' : 'aborted the rollout'}${reason ? `: "${clip(reason, 500)}"` : '.'}`;
    }
    default: {
      const state = field(entry.after, 'state');
      return `${who}: ${entry.action.replace(/_/g, ' ')}${state ? ` → ${stateLabel(state as never)}` : ''} (${slackTime(entry.at)})`;
    }
  }
}

/** An audit entry's list of ids (as text), or none. */
function listOf(after: unknown, key: string): string[] {
  const value = (after as Record<string, unknown> | null)?.[key];
  return Array.isArray(value) ? value.map((v) => String(v)) : [];
}

export function renderAnnouncement(detail: ReleaseDetail, event: string): string {
  const approvers = detail.approval.valid.map((d) => mention(d.approver)).join(', ');
  if (event === 'approved') {
    return `:white_check_mark: *${releaseHeadline(detail)}* is approved${approvers ? ` by ${approvers}` : ''}. ${mention(detail.release.requester)}, it may go live ${detail.release.plannedStart ? `from ${slackTime(detail.release.plannedStart)}` : 'once scheduled'}.`;
  }
  if (event === 'completed') {
    return `:tada: *${releaseHeadline(detail)}* is rolled out: ${detail.waves.length} wave${detail.waves.length === 1 ? '' : 's'}, ${detail.waves.flatMap((w) => w.targets).map(escapeText).join(', ')}.`;
  }
  if (event === 'rolled_back') return `:rewind: *${releaseHeadline(detail)}* was rolled back; the earlier version runs everywhere it had reached.`;
  return `${releaseKey(detail.release.id)}: ${clip(event, 100)}`;
}
