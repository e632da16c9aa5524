import type { DeployLock } from '../../core/locks.ts';
import { lockText } from '../../core/locks.ts';
import type { ServiceRights } from '../../core/usecases/access.ts';
import { clip, escapeText, renderMarks, slackTime } from './format.ts';
import { conflictText, type Conflict } from '../../core/conflicts.ts';
import { effectiveRisk, riskBelow, type Release } from '../../core/release.ts';

/** One lock as a line: where, who, until when, why (user text escaped, marks rendered). */
export function lockLine(lock: DeployLock): string {
  return `:lock: ${renderMarks(escapeText(lockText(lock)))}`;
}

export function renderLocks(locks: DeployLock[], service?: string): string {
  if (locks.length === 0) return `No deploy lock is in force${service ? ` on ${escapeText(service)}` : ''}.`;
  return [`*Deploy locks in force* (${locks.length})`, ...locks.map(lockLine)].join('\n');
}

export function renderLocked(lock: DeployLock): string {
  const where = lock.targets.length ? `${escapeText(lock.service)} (${lock.targets.map(escapeText).join(', ')})` : `${escapeText(lock.service)} (every target)`;
  return `:lock: Locked ${where} until ${slackTime(lock.expiresAt)}. No wave that touches it starts until then or until \`/release unlock ${escapeText(lock.service)}${lock.targets.length ? ` ${lock.targets.map(escapeText).join(' ')}` : ''}\`.`;
}

export function renderUnlocked(removed: DeployLock[]): string {
  return [`:unlock: Removed ${removed.length} lock${removed.length === 1 ? '' : 's'}; the rollouts they held go on.`, ...removed.map(lockLine)].join('\n');
}

const TYPE_ORDER = ['major', 'minor', 'patch', 'emergency'];

/** `/release whoami`: a line per service with what the person may do there. */
export function renderWhoami(me: { user: string; releaseManager: boolean; installer: boolean; services: ServiceRights[] }): string {
  const roles = [me.releaseManager ? 'a release manager' : '', me.installer ? 'an installer' : ''].filter(Boolean);
  const lines = [`*What <@${me.user}> may do*${roles.length ? ` (you are ${roles.join(' and ')})` : ''}`];
  for (const s of me.services) {
    const may = ['plan'];
    const types = [...s.approve].sort((a, b) => TYPE_ORDER.indexOf(a) - TYPE_ORDER.indexOf(b));
    if (types.length) may.push(`approve ${types.join(', ')}${s.approveHighRisk ? '' : ' (not at high risk)'}`);
    else if (s.approveHighRisk) may.push('approve at high risk');
    if (s.install) may.push('install (work checklists)');
    if (s.manage) may.push('manage releases (edit, submit, cancel, control, force a start)');
    if (s.lock) may.push('lock');
    lines.push(`• *${escapeText(s.service)}*: ${may.join(' · ')}`);
  }
  lines.push('_On your own releases you may always edit, submit, cancel and control the rollout._');
  return lines.join('\n');
}


/** The risk as approvers read it: what counts, relm's assessment and its factors, and the requester's reason for stating less. */
export function riskText(r: Pick<Release, 'risk' | 'assessedRisk' | 'riskFactors' | 'riskReason'>): string {
  const counted = effectiveRisk(r);
  if (!r.assessedRisk) return counted;
  const factors = r.riskFactors.map((f) => `${escapeText(f.detail)} +${f.points}`).join(', ') || 'nothing counted';
  const assessed = `assessed ${r.assessedRisk}: ${factors}`;
  if (riskBelow(r.risk, r.assessedRisk)) return `${counted} (${assessed}; the requester states ${r.risk}${r.riskReason ? `: "${clip(r.riskReason, 300)}"` : ''})`;
  return r.risk === r.assessedRisk ? `${counted} (${assessed})` : `${counted} (stated; ${assessed})`;
}

/** Conflicts and locks as lines for a card, a request or `show`; empty when there are none. */
export function coordinationLines(detail: { conflicts: Conflict[]; locks: DeployLock[] }, max = 5): string[] {
  const lines = detail.conflicts.slice(0, max).map((c) => `:warning: ${renderMarks(escapeText(conflictText(c)))}`);
  if (detail.conflicts.length > max) lines.push(`…and ${detail.conflicts.length - max} more overlapping rollouts (\`/release calendar\`)`);
  lines.push(...detail.locks.map(lockLine));
  return lines;
}
