import type { AuditEntry } from '../../core/audit.ts';
import type { ReleaseDetail } from '../../core/usecases/queries.ts';
import { releaseKey } from '../../core/release.ts';
import { clip, mention, slackTime, stateLabel } from './format.ts';
import { releaseHeadline } from './card.ts';

function field(value: unknown, key: string): string | undefined {
  const v = (value as Record<string, unknown> | null)?.[key];
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
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
    default: {
      const state = field(entry.after, 'state');
      return `${who}: ${entry.action.replace(/_/g, ' ')}${state ? ` → ${stateLabel(state as never)}` : ''} (${slackTime(entry.at)})`;
    }
  }
}

export function renderAnnouncement(detail: ReleaseDetail, event: string): string {
  const approvers = detail.approval.valid.map((d) => mention(d.approver)).join(', ');
  if (event === 'approved') {
    return `:white_check_mark: *${releaseHeadline(detail)}* is approved${approvers ? ` by ${approvers}` : ''}. ${mention(detail.release.requester)}, it may go live ${detail.release.plannedStart ? `from ${slackTime(detail.release.plannedStart)}` : 'once scheduled'}.`;
  }
  return `${releaseKey(detail.release.id)}: ${clip(event, 100)}`;
}
