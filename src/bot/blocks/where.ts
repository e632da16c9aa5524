import type { DeploymentRecord } from '../../store/repositories/configuration.ts';
import { describeRecordSource } from '../../core/usecases/configuration.ts';
import { escapeText, slackTime } from './format.ts';

/** The configuration records of a service: which version runs on which target, and since when. */
export function renderWhere(service: string, records: DeploymentRecord[]): string {
  if (records.length === 0) return `Nothing recorded for ${escapeText(service)} yet: records come from relm's rollouts and GitHub deployment events.`;
  return [`*What runs where: ${escapeText(service)}*`, ...records.map((r) => `• *${escapeText(r.target)}*: ${escapeText(r.version)} since ${slackTime(r.recordedAt)} (${escapeText(describeRecordSource(r))})`)].join('\n');
}
