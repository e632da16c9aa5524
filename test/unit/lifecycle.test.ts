import { describe, expect, it } from 'vitest';
import { TERMINAL_STATES, allowedEvents, nextState, transition, type LifecycleEvent } from '../../src/core/lifecycle.ts';
import { DomainError } from '../../src/core/errors.ts';
import { RELEASE_STATES, type ReleaseState } from '../../src/core/release.ts';

const ALL_EVENTS: LifecycleEvent[] = [
  'submit', 'approve', 'reject', 'revise', 'replan', 'schedule', 'start', 'pause',
  'resume', 'complete', 'fail', 'rollback', 'back_out', 'abort', 'cancel',
];

/** Catches the error `fn` throws, so a test can look at its code and message. */
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('transition: the legal moves', () => {
  it.each<[ReleaseState, LifecycleEvent, ReleaseState]>([
    ['draft', 'submit', 'submitted'],
    ['draft', 'cancel', 'cancelled'],
    ['draft', 'replan', 'draft'],
    ['submitted', 'approve', 'approved'],
    ['submitted', 'reject', 'rejected'],
    ['submitted', 'replan', 'submitted'],
    ['submitted', 'cancel', 'cancelled'],
    ['approved', 'schedule', 'scheduled'],
    ['approved', 'start', 'in_progress'],
    ['approved', 'replan', 'submitted'],
    ['approved', 'cancel', 'cancelled'],
    ['rejected', 'revise', 'draft'],
    ['rejected', 'replan', 'draft'],
    ['rejected', 'cancel', 'cancelled'],
    ['scheduled', 'start', 'in_progress'],
    ['scheduled', 'replan', 'submitted'],
    ['scheduled', 'cancel', 'cancelled'],
    ['in_progress', 'pause', 'paused'],
    ['in_progress', 'complete', 'completed'],
    ['in_progress', 'fail', 'failed'],
    ['in_progress', 'rollback', 'rolled_back'],
    ['in_progress', 'back_out', 'in_progress'],
    ['in_progress', 'abort', 'failed'],
    ['paused', 'resume', 'in_progress'],
    ['paused', 'fail', 'failed'],
    ['paused', 'back_out', 'in_progress'],
    ['paused', 'abort', 'failed'],
    ['failed', 'back_out', 'in_progress'],
    ['completed', 'back_out', 'in_progress'],
  ])('%s --%s--> %s', (from, event, to) => {
    expect(transition({ id: 1, state: from }, event)).toBe(to);
    expect(nextState(from, event)).toBe(to);
  });

  it('replanning an approved or scheduled release sends it back for approval', () => {
    expect(transition({ id: 1, state: 'approved' }, 'replan')).toBe('submitted');
    expect(transition({ id: 1, state: 'scheduled' }, 'replan')).toBe('submitted');
  });
});

describe('transition: illegal moves', () => {
  it('throws a DomainError with code illegal_transition naming the release and a hint', () => {
    const error = caught(() => transition({ id: 4, state: 'approved' }, 'submit'));
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('illegal_transition');
    expect((error as DomainError).message).toBe('REL-4 is approved; only a draft can be submitted.');
  });

  it('writes multi-word states with a space', () => {
    expect(() => transition({ id: 12, state: 'in_progress' }, 'cancel')).toThrow(
      'REL-12 is in progress; a rollout in progress is stopped with abort or rollback, not cancel.',
    );
    expect(() => transition({ id: 3, state: 'rolled_back' }, 'resume')).toThrow(/^REL-3 is rolled back; only a paused rollout can be resumed \(an aborted one can only be rolled back\)\.$/);
  });

  it('keeps a half-deployed rollout from being cancelled or resumed after an abort', () => {
    expect(() => transition({ id: 4, state: 'paused' }, 'cancel')).toThrow(/abort or rollback, not cancel/);
    expect(() => transition({ id: 4, state: 'failed' }, 'resume')).toThrow(/can only be rolled back/);
  });

  it.each<[ReleaseState, LifecycleEvent, string]>([
    ['draft', 'approve', 'only a submitted release can be approved'],
    ['approved', 'reject', 'only a submitted release can be rejected'],
    ['draft', 'revise', 'only a rejected release can be revised'],
    ['in_progress', 'replan', 'the plan can change until the rollout starts'],
    ['submitted', 'schedule', 'only an approved release can be scheduled'],
    ['submitted', 'start', 'a rollout starts from approved or scheduled'],
    ['scheduled', 'pause', 'only a rollout in progress can be paused'],
    ['draft', 'back_out', 'only a release that has started rolling out can be rolled back'],
    ['approved', 'abort', 'only a rollout in progress or paused can be aborted'],
    ['paused', 'complete', 'only a rollout in progress can complete'],
  ])('%s cannot %s (hint: %s)', (state, event, hint) => {
    expect(() => transition({ id: 7, state }, event)).toThrow(`; ${hint}.`);
  });

  it('falls back to a generic hint for events without one', () => {
    expect(() => transition({ id: 9, state: 'draft' }, 'fail')).toThrow('REL-9 is draft; it cannot fail from here.');
    expect(() => transition({ id: 9, state: 'paused' }, 'rollback')).toThrow('REL-9 is paused; it cannot rollback from here.');
  });

  it('rejects every event from cancelled and rolled_back', () => {
    for (const state of ['cancelled', 'rolled_back'] as const) {
      for (const event of ALL_EVENTS) {
        expect(() => transition({ id: 1, state }, event)).toThrow(DomainError);
        expect(nextState(state, event)).toBeUndefined();
      }
    }
  });

  it('cannot approve or reject twice', () => {
    expect(() => transition({ id: 5, state: 'approved' }, 'approve')).toThrow('REL-5 is approved; only a submitted release can be approved.');
    expect(() => transition({ id: 5, state: 'rejected' }, 'reject')).toThrow('only a submitted release can be rejected');
  });
});

describe('allowedEvents', () => {
  it('lists exactly the events transition accepts, for every state', () => {
    for (const state of RELEASE_STATES) {
      const allowed = new Set(allowedEvents(state));
      for (const event of ALL_EVENTS) {
        if (allowed.has(event)) expect(() => transition({ id: 1, state }, event)).not.toThrow();
        else expect(() => transition({ id: 1, state }, event)).toThrow(DomainError);
      }
    }
  });

  it('offers the expected actions for common states', () => {
    expect(new Set(allowedEvents('draft'))).toEqual(new Set(['submit', 'cancel', 'replan']));
    expect(new Set(allowedEvents('submitted'))).toEqual(new Set(['approve', 'reject', 'replan', 'cancel']));
    expect(new Set(allowedEvents('in_progress'))).toEqual(new Set(['pause', 'complete', 'fail', 'rollback', 'back_out', 'abort']));
    expect(allowedEvents('cancelled')).toEqual([]);
    expect(allowedEvents('rolled_back')).toEqual([]);
  });

  it('a rollout in progress cannot be cancelled (it is aborted or rolled back instead)', () => {
    expect(allowedEvents('in_progress')).not.toContain('cancel');
  });
});

describe('TERMINAL_STATES', () => {
  it('holds completed, rolled_back and cancelled only', () => {
    expect([...TERMINAL_STATES].sort()).toEqual(['cancelled', 'completed', 'rolled_back']);
  });

  it('no state but a terminal one is without a way forward', () => {
    for (const state of RELEASE_STATES) {
      if (allowedEvents(state).length === 0) expect(TERMINAL_STATES.has(state)).toBe(true);
    }
  });
});
