import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { actionKey, parseActions, reviewReminderAt, reviewReminderRound, reviewRequired, reviewStatus } from '../../src/core/review.ts';
import { deviationsOf, timelineOf } from '../../src/core/usecases/review.ts';
import { nextReviewChase, reviewChaseDue } from '../../src/core/usecases/chase-reviews.ts';
import { parseRelmFile } from '../../src/config/relm-file.ts';
import { elapsed, renderLessons, reviewStatusText } from '../../src/bot/blocks/review.ts';
import type { AuditEntry } from '../../src/core/audit.ts';
import type { StoredRelease } from '../../src/core/release.ts';

const PARSE_FILE = readFileSync(fileURLToPath(new URL('../fixtures/relm.parse.yml', import.meta.url)), 'utf8');
const DAY = 86_400_000;
const finishedAt = new Date('2026-11-10T12:00:00Z');
const at = (ms: number) => new Date(finishedAt.getTime() + ms);

describe('which reviews are required (require_review)', () => {
  const standard = { requireReview: ['failed', 'rolled_back', 'emergency'] as const };
  it('requires failed, rolled-back and emergency releases by default, not a normal completed one', () => {
    expect(reviewRequired({ state: 'failed', type: 'minor' }, standard)).toBe(true);
    expect(reviewRequired({ state: 'rolled_back', type: 'minor' }, standard)).toBe(true);
    expect(reviewRequired({ state: 'completed', type: 'emergency' }, standard)).toBe(true);
    expect(reviewRequired({ state: 'completed', type: 'minor' }, standard)).toBe(false);
    expect(reviewRequired({ state: 'completed', type: 'minor' }, {})).toBe(false);
    expect(reviewRequired({ state: 'failed', type: 'minor' }, {})).toBe(true);
  });
  it('requires every finished release under `all`, and never one still rolling out', () => {
    expect(reviewRequired({ state: 'completed', type: 'patch' }, { requireReview: ['all'] })).toBe(true);
    expect(reviewRequired({ state: 'in_progress', type: 'emergency' }, { requireReview: ['all'] })).toBe(false);
    expect(reviewRequired({ state: 'cancelled', type: 'minor' }, { requireReview: ['all'] })).toBe(false);
  });
});

describe('review state: done, due, overdue', () => {
  const failed = { state: 'failed' as const, type: 'minor' as const, finishedAt };
  const policy = { requireReview: ['failed'] as const };
  it('is due until review_after has passed since the rollout finished, then overdue, and done once written', () => {
    expect(reviewStatus(failed, undefined, policy, 3 * DAY, at(3 * DAY - 1))).toEqual({ status: 'due', dueAt: at(3 * DAY) });
    expect(reviewStatus(failed, undefined, policy, 3 * DAY, at(3 * DAY))).toEqual({ status: 'overdue', dueAt: at(3 * DAY) });
    expect(reviewStatus(failed, { editor: 'U0DEV', updatedAt: at(DAY) }, policy, 3 * DAY, at(9 * DAY))).toEqual({ status: 'done', by: 'U0DEV', at: at(DAY), dueAt: at(3 * DAY) });
  });
  it('is optional for a release the policy does not require, and none while rolling out', () => {
    expect(reviewStatus({ ...failed, state: 'completed' }, undefined, policy, 3 * DAY, at(9 * DAY)).status).toBe('optional');
    expect(reviewStatus({ state: 'in_progress', type: 'minor', finishedAt: null }, undefined, policy, 3 * DAY, at(9 * DAY)).status).toBe('none');
  });
  it('is shown on the card and in show, with the command to write it', () => {
    expect(reviewStatusText({ status: 'overdue', dueAt: at(3 * DAY) }, 7)).toContain('Review overdue since <!date^');
    expect(reviewStatusText({ status: 'due', dueAt: at(3 * DAY) }, 7)).toContain('`/release review REL-7`');
    expect(reviewStatusText({ status: 'done', by: 'U0DEV', at: at(DAY), dueAt: null }, 7)).toContain('Reviewed by <@U0DEV>');
    expect(reviewStatusText({ status: 'none', dueAt: null }, 7)).toBe('');
  });
});

describe('review reminders', () => {
  it('come at 1, 2, 3 and 4 times review_after, then weekly until the review is written, the latest round only', () => {
    expect(reviewReminderRound(finishedAt, 3 * DAY, at(3 * DAY - 1))).toBeUndefined();
    expect(reviewReminderRound(finishedAt, 3 * DAY, at(3 * DAY))).toBe(1);
    expect(reviewReminderRound(finishedAt, 3 * DAY, at(6 * DAY + 5))).toBe(2);
    expect(reviewReminderRound(finishedAt, 3 * DAY, at(11 * DAY))).toBe(3);
    expect(reviewReminderRound(finishedAt, 3 * DAY, at(12 * DAY))).toBe(4);
    // Then a week apart: 19, 26, 33 and 40 days after the finish.
    expect(reviewReminderRound(finishedAt, 3 * DAY, at(19 * DAY - 1))).toBe(4);
    expect(reviewReminderRound(finishedAt, 3 * DAY, at(19 * DAY))).toBe(5);
    expect(reviewReminderRound(finishedAt, 3 * DAY, at(40 * DAY))).toBe(8);
    for (const round of [1, 4, 5, 8]) expect(reviewReminderRound(finishedAt, 3 * DAY, reviewReminderAt(finishedAt, 3 * DAY, round))).toBe(round);
    // A review_after longer than a week keeps its own pace: 14, 28, 42, 56, then 70 days.
    expect(reviewReminderAt(finishedAt, 14 * DAY, 5)).toEqual(at(70 * DAY));
    expect(reviewReminderRound(finishedAt, 14 * DAY, at(69 * DAY))).toBe(4);
  });
  it('are looked at again at the next round, and never when no review is required', () => {
    expect(nextReviewChase({ finishedAt }, true, 3 * DAY, at(DAY))).toEqual(at(3 * DAY));
    expect(nextReviewChase({ finishedAt }, true, 3 * DAY, at(7 * DAY))).toEqual(at(9 * DAY));
    expect(nextReviewChase({ finishedAt }, true, 3 * DAY, at(13 * DAY))).toEqual(at(19 * DAY));
    expect(nextReviewChase({ finishedAt }, false, 3 * DAY, at(7 * DAY))).toBeNull();
  });
  it('are keyed by release and round, and only for required reviews', () => {
    const release = { id: 4, finishedAt, state: 'failed', type: 'minor' } as StoredRelease;
    expect(reviewChaseDue(release, true, 3 * DAY, at(7 * DAY))).toEqual({ kind: 'review_reminder', releaseId: 4, dedupeKey: 'review:remind:4:2', payload: { releaseId: 4, round: 2 } });
    expect(reviewChaseDue(release, false, 3 * DAY, at(7 * DAY))).toBeUndefined();
  });
});

describe('follow-up actions', () => {
  it('are one per line, bullets and blanks dropped, each once', () => {
    expect(parseActions('- Update the runbook\n\n* Add lock timeouts\n1. Add lock timeouts\n  •  Page the DBA   on-call ')).toEqual(['Update the runbook', 'Add lock timeouts', 'Page the DBA on-call']);
  });
  it('have a key from the release and the words, so the same action submitted again is the same effect', () => {
    expect(actionKey(3, 'Update the runbook')).toBe(actionKey(3, 'update the RUNBOOK'));
    expect(actionKey(3, 'Update the runbook')).not.toBe(actionKey(4, 'Update the runbook'));
    expect(actionKey(3, 'Update the runbook')).not.toBe(actionKey(3, 'Update the dashboard'));
  });
});

describe('the facts a review starts from', () => {
  const t = (h: number) => new Date(Date.UTC(2026, 10, 1) + h * 3_600_000);
  const entry = (seq: number, action: string, hours: number, after: Record<string, unknown> = {}, actor = 'U0DEV'): AuditEntry => ({ seq, releaseId: 1, actor, action, before: null, after, at: t(hours), prevHash: '', hash: '' });
  const history = [
    entry(1, 'planned', 0),
    entry(2, 'replanned', 1), // before submission: drafting, not a revision
    entry(3, 'submitted', 2),
    entry(4, 'rejected', 3, { reason: 'No rollback plan' }, 'U0APP1'),
    entry(5, 'replanned', 4),
    entry(6, 'submitted', 4),
    entry(7, 'approved', 6, {}, 'U0APP1'),
    entry(8, 'rescheduled', 7, { plannedStart: '2026-11-02T10:00:00.000Z' }),
    entry(9, 'rollout_started', 10, {}, 'relm'),
    entry(10, 'rollout_paused', 11),
    entry(11, 'wave_failed', 12, { wave: 'rest', detail: 'error rate doubled' }, 'U0INST'),
    entry(12, 'rollback_requested', 13, { reason: 'errors' }),
    entry(13, 'rolled_back', 14, {}, 'relm'),
  ];
  it('lists every deviation from the plan, a revision only after submission', () => {
    expect(deviationsOf(history).map((d) => [d.kind, d.detail])).toEqual([
      ['rejected', 'No rollback plan'],
      ['revised', null],
      ['rescheduled', '2026-11-02T10:00:00.000Z'],
      ['paused', null],
      ['wave_failed', 'rest: error rate doubled'],
      ['rolled_back', 'errors'],
    ]);
  });
  it('times each phase from its milestones', () => {
    const release = { createdAt: t(0), submittedAt: t(4), approvedAt: t(6), startedAt: t(10), finishedAt: t(14) } as StoredRelease;
    expect(timelineOf(release, history).map((p) => [p.phase, p.ms / 3_600_000])).toEqual([
      ['planning', 2],
      ['approval', 4],
      ['waiting', 4],
      ['rollout', 4],
    ]);
    expect(elapsed(2 * DAY + 3 * 3_600_000 + 5 * 60_000)).toBe('2d 3h');
    expect(elapsed(45 * 60_000)).toBe('45m');
    expect(elapsed(12_000)).toBe('12s');
  });
});

describe('the lessons answer', () => {
  it('escapes what reviewers wrote, bolds the matches, and stays within one section', () => {
    const match = { releaseId: 3, service: 'payments', version: '1.0.0', title: '<b>', finishedAt, state: 'failed', lessons: '', rank: 1, headline: 'Tell <!channel> & run \u0001migrations\u0002 online' };
    const text = renderLessons('migration', [match]);
    expect(text).toContain('Tell &lt;!channel&gt; &amp; run *migrations* online');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('*REL-3* payments 1.0.0 (&lt;b&gt;)');
    const many = renderLessons('x', Array.from({ length: 50 }, (_, i) => ({ ...match, releaseId: i + 1, headline: 'y'.repeat(380) })));
    expect(many.length).toBeLessThanOrEqual(3_000);
    expect(many).toMatch(/…and \d+ more/);
    expect(renderLessons('nothing <here>', [])).toContain('No past review mentions “nothing &lt;here&gt;”');
  });
});

describe('relm.yml: review_after and require_review', () => {
  it('defaults to 3d and failed, rolled back and emergency', () => {
    const { settings } = parseRelmFile(PARSE_FILE, 'relm.yml');
    expect(settings.deploymentModels['three-waves']!.reviewAfterMs).toBe(3 * DAY);
    expect(settings.policies.standard!.requireReview).toEqual(['failed', 'rolled_back', 'emergency']);
    expect(settings.jira.followUpIssueType).toBe('Task');
  });
  it('takes a model’s review_after, a policy’s list or all', () => {
    const text = PARSE_FILE.replace('    approval_expires_after: 7d\n', '    approval_expires_after: 7d\n    require_review: all\n').replace('    deployer: manual\n', '    deployer: manual\n    review_after: 5d\n');
    const { settings } = parseRelmFile(text, 'relm.yml');
    expect(settings.deploymentModels['three-waves']!.reviewAfterMs).toBe(5 * DAY);
    expect(settings.policies.standard!.requireReview).toEqual(['all']);
    const list = parseRelmFile(PARSE_FILE.replace('    approval_expires_after: 7d\n', '    approval_expires_after: 7d\n    require_review: [failed, completed]\n'), 'relm.yml');
    expect(list.settings.policies.standard!.requireReview).toEqual(['failed', 'completed']);
  });
  it('refuses a bad value with its line', () => {
    const bad = PARSE_FILE.replace('    approval_expires_after: 7d\n', '    approval_expires_after: 7d\n    require_review: [aborted]\n');
    expect(() => parseRelmFile(bad, 'relm.yml')).toThrow(/relm\.yml:27:\d+: policies\.standard\.require_review/);
    const duration = PARSE_FILE.replace('    deployer: manual\n', '    deployer: manual\n    review_after: soon\n');
    expect(() => parseRelmFile(duration, 'relm.yml')).toThrow(/review_after: a duration like 30s/);
  });
});
