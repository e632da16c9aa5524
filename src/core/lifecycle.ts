import { DomainError } from './errors.ts';
import { releaseKey, type Release, type ReleaseState } from './release.ts';

export type LifecycleEvent =
  | 'submit'
  | 'approve'
  | 'reject'
  | 'revise'
  | 'replan'
  | 'schedule'
  | 'start'
  | 'pause'
  | 'resume'
  | 'complete'
  | 'fail'
  | 'rollback'
  | 'back_out'
  | 'abort'
  | 'cancel';

/** Every legal move: from a state, an event leads to exactly one state. */
const MOVES: Record<ReleaseState, Partial<Record<LifecycleEvent, ReleaseState>>> = {
  draft: { submit: 'submitted', cancel: 'cancelled', replan: 'draft' },
  submitted: { approve: 'approved', reject: 'rejected', replan: 'submitted', cancel: 'cancelled' },
  approved: { schedule: 'scheduled', start: 'in_progress', replan: 'submitted', cancel: 'cancelled' },
  rejected: { revise: 'draft', replan: 'draft', cancel: 'cancelled' },
  scheduled: { start: 'in_progress', replan: 'submitted', cancel: 'cancelled' },
  in_progress: { pause: 'paused', complete: 'completed', fail: 'failed', rollback: 'rolled_back', back_out: 'in_progress', abort: 'failed' },
  paused: { resume: 'in_progress', fail: 'failed', back_out: 'in_progress', abort: 'failed' },
  failed: { back_out: 'in_progress' },
  completed: { back_out: 'in_progress' },
  rolled_back: {},
  cancelled: {},
};

const HINTS: Partial<Record<LifecycleEvent, string>> = {
  submit: 'only a draft can be submitted',
  approve: 'only a submitted release can be approved',
  reject: 'only a submitted release can be rejected',
  revise: 'only a rejected release can be revised',
  replan: 'the plan can change until the rollout starts',
  schedule: 'only an approved release can be scheduled',
  start: 'a rollout starts from approved or scheduled',
  pause: 'only a rollout in progress can be paused',
  resume: 'only a paused rollout can be resumed (an aborted one can only be rolled back)',
  cancel: 'a rollout in progress is stopped with abort or rollback, not cancel',
  back_out: 'only a release that has started rolling out can be rolled back',
  abort: 'only a rollout in progress or paused can be aborted',
  complete: 'only a rollout in progress can complete',
};

export const TERMINAL_STATES: ReadonlySet<ReleaseState> = new Set(['completed', 'rolled_back', 'cancelled']);

export function nextState(from: ReleaseState, event: LifecycleEvent): ReleaseState | undefined {
  return MOVES[from][event];
}

/** The state `event` leads to, or a DomainError saying why the move is not allowed now. */
export function transition(release: Pick<Release, 'id' | 'state'>, event: LifecycleEvent): ReleaseState {
  const to = nextState(release.state, event);
  if (!to) {
    const hint = HINTS[event] ?? `it cannot ${event} from here`;
    throw new DomainError(
      'illegal_transition',
      `${releaseKey(release.id)} is ${release.state.replace('_', ' ')}; ${hint}.`,
    );
  }
  return to;
}

export function allowedEvents(state: ReleaseState): LifecycleEvent[] {
  return Object.keys(MOVES[state]) as LifecycleEvent[];
}
