import { DateTime } from 'luxon';
import type { ReleaseType, Risk, RiskFactor } from './release.ts';
import { checkSlot, freezeAt, type Calendar } from './windows.ts';
import { formatDuration } from '../config/duration.ts';

/**
 * A policy's `risk:` rules: points for what relm knows of a plan, and the scores at which its risk is
 * medium and high. Every factor is optional; a factor not named scores nothing.
 */
export interface RiskRules {
  /** Points by release type. */
  types: Partial<Record<ReleaseType, number>>;
  /** Points when the release touches more than `over` targets. */
  targets?: { over: number; points: number };
  /** Points when it rolls out in more than `over` waves. */
  waves?: { over: number; points: number };
  /** Points when the release ships in a bundle of more than `over` releases (a bigger train is riskier). */
  bundle?: { over: number; points: number };
  /** Points when the plan has no test evidence. */
  noTestEvidence: number;
  /** Points for each of the service's releases that failed or were rolled back within `withinMs`. */
  recentFailures?: { withinMs: number; points: number; max?: number };
  /** Points when the planned start is outside the change windows. */
  outsideWindows: number;
  /** Points when the planned start is in a freeze or less than `withinMs` before one begins. */
  nearFreeze?: { withinMs: number; points: number };
  /** The score from which the risk is medium, and high. */
  medium: number;
  high: number;
}

export interface RiskInput {
  type: ReleaseType;
  targets: number;
  waves: number;
  testEvidence: string;
  /** The service's failed or rolled-back releases within the rules' period. */
  recentFailures: number;
  /** How many releases its bundle holds; 0 when it is in none. */
  bundleSize?: number;
  plannedStart: Date | null;
  calendar: Calendar;
}

export interface RiskAssessment {
  level: Risk;
  score: number;
  factors: RiskFactor[];
}

/** When a freeze begins, as an instant: its first day's midnight in the policy's timezone. */
function freezeStarts(calendar: Calendar, from: string): Date {
  return DateTime.fromISO(from, { zone: calendar.timezone }).startOf('day').toJSDate();
}

/** Scores a plan under a policy's risk rules: low, medium or high, with the factors that counted. */
export function assessRisk(rules: RiskRules, input: RiskInput): RiskAssessment {
  const factors: RiskFactor[] = [];
  const add = (factor: string, points: number | undefined, detail: string) => {
    if (points) factors.push({ factor, points, detail });
  };
  add('type', rules.types[input.type], `${input.type} release`);
  if (rules.targets && input.targets > rules.targets.over) add('targets', rules.targets.points, `${input.targets} targets (more than ${rules.targets.over})`);
  if (rules.waves && input.waves > rules.waves.over) add('waves', rules.waves.points, `${input.waves} waves (more than ${rules.waves.over})`);
  if (rules.bundle && (input.bundleSize ?? 0) > rules.bundle.over) add('bundle', rules.bundle.points, `in a bundle of ${input.bundleSize} releases (more than ${rules.bundle.over})`);
  if (!input.testEvidence.trim()) add('no_test_evidence', rules.noTestEvidence, 'no test evidence');
  if (rules.recentFailures && input.recentFailures > 0) {
    const counted = rules.recentFailures.max ? Math.min(input.recentFailures, rules.recentFailures.max) : input.recentFailures;
    add('recent_failures', counted * rules.recentFailures.points, `${input.recentFailures} failed or rolled-back release${input.recentFailures === 1 ? '' : 's'} of the service in the last ${formatDuration(rules.recentFailures.withinMs)}`);
  }
  if (input.plannedStart) {
    const at = input.plannedStart;
    if (!checkSlot({ ...input.calendar, freezes: [] }, at).allowed) add('outside_windows', rules.outsideWindows, 'planned start outside the change windows');
    if (rules.nearFreeze) {
      const within = rules.nearFreeze.withinMs;
      const inFreeze = freezeAt(input.calendar, at);
      const soon = input.calendar.freezes.find((f) => {
        const begins = freezeStarts(input.calendar, f.from).getTime();
        return begins > at.getTime() && begins - at.getTime() <= within;
      });
      if (inFreeze) add('near_freeze', rules.nearFreeze.points, `planned start in the freeze "${inFreeze.reason}"`);
      else if (soon) add('near_freeze', rules.nearFreeze.points, `planned start less than ${formatDuration(within)} before the freeze "${soon.reason}"`);
    }
  }
  const score = factors.reduce((sum, f) => sum + f.points, 0);
  const level: Risk = score >= rules.high ? 'high' : score >= rules.medium ? 'medium' : 'low';
  return { level, score, factors };
}
