import { describe, expect, it } from 'vitest';
import { audienceChannels, audienceEventOf } from '../../src/core/audience.ts';

describe('what a change means for the audience', () => {
  it.each([
    ['approved', 'submitted', 'scheduled', 'scheduled'],
    ['rescheduled', 'scheduled', 'scheduled', 'rescheduled'],
    ['rollout_started', 'scheduled', 'in_progress', 'started'],
    ['rollout_paused', 'in_progress', 'paused', 'paused'],
    ['rollout_resumed', 'paused', 'in_progress', 'resumed'],
    ['rollout_completed', 'in_progress', 'completed', 'completed'],
    ['rolled_back', 'in_progress', 'rolled_back', 'rolled_back'],
    ['rollout_aborted', 'paused', 'failed', 'failed'],
    ['cancelled', 'scheduled', 'cancelled', 'cancelled'],
    ['replanned', 'scheduled', 'submitted', 'on_hold'],
  ] as const)('%s (%s → %s) is told as %s', (action, before, after, event) => {
    expect(audienceEventOf(action, before, after)).toBe(event);
  });

  it.each([
    ['planned', undefined, 'draft'],
    ['submitted', 'draft', 'submitted'],
    ['approved', 'submitted', 'approved'],
    ['cancelled', 'submitted', 'cancelled'],
    ['replanned', 'submitted', 'submitted'],
    ['approval_given', 'submitted', undefined],
  ] as const)('%s (%s → %s) is the team\'s business only', (action, before, after) => {
    expect(audienceEventOf(action, before, after)).toBeUndefined();
  });

  it('tells channels in one message each; people and user groups are not channels', () => {
    expect(audienceChannels(['C0ANNOUNCE', 'G0PRIVATE', 'U0BOB', 'S0TEAM', 'support-group'])).toEqual(['C0ANNOUNCE', 'G0PRIVATE']);
  });
});
