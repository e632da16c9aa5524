import { describe, expect, it } from 'vitest';
import { chasesDue, expiryWarningLead } from '../../src/core/usecases/chase-approvals.ts';
import { parseWindow, timeWithin } from '../../src/core/windows.ts';

const office = [parseWindow('Mon-Fri 09:00-17:30')];
const at = (iso: string) => new Date(iso);

describe('working time', () => {
  it('counts only the hours inside the windows, in the policy’s zone', () => {
    // Friday 17:00 London to Monday 10:00: half an hour on Friday, an hour on Monday.
    expect(timeWithin(office, 'Europe/London', at('2031-03-07T17:00:00Z'), at('2031-03-10T10:00:00Z'))).toBe(90 * 60_000);
    expect(timeWithin([], 'Europe/London', at('2031-03-07T17:00:00Z'), at('2031-03-07T18:00:00Z'))).toBe(3_600_000);
  });
});

describe('what is due for an undecided request', () => {
  const release = { id: 7, revision: 2, requestedAt: at('2031-03-07T17:00:00Z') }; // a Friday, 17:00 in London
  const policy = { remindAfterMs: 4 * 3_600_000, escalateAfterMs: 8 * 3_600_000, workingHours: office, calendar: { timezone: 'Europe/London' } };

  it('counts remind_after in working hours: no reminder over the weekend', () => {
    expect(chasesDue(release, policy, at('2031-03-10T09:00:00Z'))).toEqual([]);
    expect(chasesDue(release, policy, at('2031-03-10T12:31:00Z')).map((m) => m.dedupeKey)).toEqual(['approval:remind:7:2:1']);
  });

  it('counts every hour without working hours', () => {
    expect(chasesDue(release, { ...policy, workingHours: [] }, at('2031-03-08T01:01:00Z')).map((m) => m.dedupeKey)).toEqual(['approval:remind:7:2:2', 'approval:escalate:7:2']);
  });

  it('warns of lapsing approvals a day ahead, or a quarter of a short validity', () => {
    expect(expiryWarningLead(7 * 86_400_000)).toBe(86_400_000);
    expect(expiryWarningLead(8 * 3_600_000)).toBe(2 * 3_600_000);
  });
});
