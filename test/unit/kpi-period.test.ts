import { describe, expect, it } from 'vitest';
import { calendarQuarter } from '../../src/core/kpi/quarter.ts';

// Fixed instants: the subject is where quarters begin in a timezone, not today.
describe('calendar quarters, the one meaning of "quarter"', () => {
  it('so far: from the quarter’s first midnight in the timezone to now, against the same span of the quarter before', () => {
    const q = calendarQuarter(new Date('2026-11-15T12:00:00Z'), 'Europe/London', 'so_far');
    // 1 October 00:00 is BST (23:00 UTC the day before); 1 July too.
    expect(q).toEqual({
      from: new Date('2026-09-30T23:00:00Z'),
      to: new Date('2026-11-15T12:00:00Z'),
      previous: { from: new Date('2026-06-30T23:00:00Z'), to: new Date('2026-08-15T12:00:00Z') },
      label: 'Q4 2026 so far',
    });
  });

  it('so far, late in a long quarter: the previous span stops at the end of the shorter quarter before', () => {
    // 30 September 23:30 BST: Q3 (92 days) has run 91 d 23.5 h, longer than all of Q2 (91 days), so
    // the span before is Q2 whole, cut at 1 July rather than running into Q3.
    const q3 = calendarQuarter(new Date('2026-09-30T22:30:00Z'), 'Europe/London', 'so_far');
    expect(q3.from).toEqual(new Date('2026-06-30T23:00:00Z'));
    expect(q3.previous).toEqual({ from: new Date('2026-03-31T23:00:00Z'), to: new Date('2026-06-30T23:00:00Z') });
  });

  it('complete: the last whole quarter, against the whole quarter before it', () => {
    expect(calendarQuarter(new Date('2027-01-01T00:00:00Z'), 'Europe/London', 'complete')).toEqual({
      from: new Date('2026-09-30T23:00:00Z'),
      to: new Date('2027-01-01T00:00:00Z'),
      previous: { from: new Date('2026-06-30T23:00:00Z'), to: new Date('2026-09-30T23:00:00Z') },
      label: 'Q4 2026',
    });
    // One millisecond before the new year it is still Q3 that is complete.
    expect(calendarQuarter(new Date('2026-12-31T23:59:59.999Z'), 'Europe/London', 'complete').label).toBe('Q3 2026');
  });
});
