import { describe, expect, it } from 'vitest';
import { audienceChannels, audienceEventOf, audiencePeople, ratingTerms, reminderSuperseded } from '../../src/core/audience.ts';

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

describe('the rating and early life support', () => {
  const finished = new Date('2031-03-03T12:00:00Z');

  it('asks at once without early life support, and when it ends with it', () => {
    expect(ratingTerms('completed', undefined, finished)).toEqual({ askRating: true });
    expect(ratingTerms('completed', 3 * 86_400_000, finished)).toEqual({ askRating: false, supportUntil: new Date('2031-03-06T12:00:00Z') });
    expect(ratingTerms('rate', 3 * 86_400_000, finished)).toEqual({ askRating: true });
    expect(ratingTerms('rolled_back', 3 * 86_400_000, finished)).toEqual({ askRating: true });
    expect(ratingTerms('started', undefined, null)).toEqual({ askRating: false });
  });
});

describe('the people an audience names', () => {
  it('expands user groups and group names, each person once, and leaves channels out', async () => {
    const directory = { userGroupMembers: async (id: string) => (id === 'S0OPS' ? ['U0B', 'U0A'] : []) };
    expect(await audiencePeople(['C0NEWS', 'S0OPS', 'U0A', 'support'], { support: ['U0C', 'U0B'] }, directory)).toEqual(['U0A', 'U0B', 'U0C']);
  });

  it('sends only the latest reminder that is due', () => {
    const start = Date.parse('2031-03-05T06:00:00Z');
    expect(reminderSuperseded(86_400_000, [86_400_000, 3_600_000], start, new Date('2031-03-04T07:00:00Z'))).toBe(false);
    expect(reminderSuperseded(86_400_000, [86_400_000, 3_600_000], start, new Date('2031-03-05T05:30:00Z'))).toBe(true);
  });
});
