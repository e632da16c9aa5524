import type { DeploymentRecord } from '../../store/repositories/configuration-records.ts';
import { releaseKey } from '../../core/release.ts';
import { escapeText, mention, slackTime } from './format.ts';

/** How a version got onto a target, as a person would say it: who, through what, for which release. */
function howItGotThere(r: DeploymentRecord): string {
  const who = r.deployedBy ? (r.source === 'github' ? `${escapeText(r.deployedBy)} on GitHub` : mention(r.deployedBy)) : undefined;
  if (r.source === 'relm') return `deployed ${r.releaseId ? `in ${releaseKey(r.releaseId)}` : 'by relm'}${who ? ` by ${who}` : ' by its deployer'}`;
  if (r.source === 'relm rollback') return `put back by the rollback of ${r.releaseId ? releaseKey(r.releaseId) : 'a release'}${who ? `, by ${who}` : ''}`;
  if (r.source === 'github') return `a GitHub deployment${who ? ` by ${who}` : ''}`;
  return escapeText(r.source);
}

/** The configuration records of a service: which version runs on which target, since when, and who put it there. */
export function renderWhere(service: string, records: DeploymentRecord[]): string {
  if (records.length === 0) return `Nothing recorded for ${escapeText(service)} yet: records come from relm's rollouts and GitHub deployment events.`;
  return [`*What runs where: ${escapeText(service)}*`, ...records.map((r) => `• *${escapeText(r.target)}*: ${escapeText(r.version)} since ${slackTime(r.recordedAt)}, ${howItGotThere(r)}`)].join('\n');
}
