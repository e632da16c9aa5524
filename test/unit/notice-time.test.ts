import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { deliveryTime, inQuietHours, quietHoursEnd } from '../../src/core/notice-time.ts';

const quiet = { fromMinute: 20 * 60, toMinute: 8 * 60 };
const at = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toJSDate();
const localIso = (date: Date | undefined, zone: string) => (date ? DateTime.fromJSDate(date, { zone }).toFormat("yyyy-LL-dd'T'HH:mm") : undefined);

describe('quiet hours', () => {
  it('span midnight in the reader’s own zone', () => {
    const instant = at('2031-03-04T12:30', 'UTC'); // 21:30 in Tokyo, 04:30 in Los Angeles, 12:30 in London
    expect(inQuietHours(instant, 'Asia/Tokyo', quiet)).toBe(true);
    expect(inQuietHours(instant, 'America/Los_Angeles', quiet)).toBe(true);
    expect(inQuietHours(instant, 'Europe/London', quiet)).toBe(false);
    expect(localIso(quietHoursEnd(instant, 'Asia/Tokyo', quiet), 'Asia/Tokyo')).toBe('2031-03-05T08:00');
    expect(localIso(quietHoursEnd(instant, 'America/Los_Angeles', quiet), 'America/Los_Angeles')).toBe('2031-03-04T08:00');
  });

  it('end at 08:00 local across a DST change', () => {
    // Los Angeles springs forward on 2031-03-09 at 02:00.
    const night = at('2031-03-08T23:00', 'America/Los_Angeles');
    expect(localIso(quietHoursEnd(night, 'America/Los_Angeles', quiet), 'America/Los_Angeles')).toBe('2031-03-09T08:00');
  });
});

describe('when a personal notice arrives', () => {
  const now = at('2031-03-01T00:00', 'UTC');

  it('goes at once outside quiet hours, and never holds an urgent one', () => {
    const due = at('2031-03-04T10:00', 'Europe/London');
    expect(deliveryTime({ due, tz: 'Europe/London', quiet, now })).toEqual(due);
    const night = at('2031-03-04T03:00', 'Europe/London');
    expect(deliveryTime({ due: night, tz: 'Europe/London', quiet, now, urgent: true })).toEqual(night);
  });

  it('waits for the reader’s morning when the start is later than that', () => {
    const due = at('2031-03-04T22:00', 'America/Los_Angeles');
    const deadline = at('2031-03-05T22:00', 'America/Los_Angeles');
    expect(localIso(deliveryTime({ due, tz: 'America/Los_Angeles', quiet, now, deadline }), 'America/Los_Angeles')).toBe('2031-03-05T08:00');
  });

  it('comes the evening before when the start is before the reader’s morning', () => {
    const due = at('2031-03-05T02:00', 'Asia/Tokyo');
    const deadline = at('2031-03-05T03:00', 'Asia/Tokyo');
    expect(localIso(deliveryTime({ due, tz: 'Asia/Tokyo', quiet, now, deadline }), 'Asia/Tokyo')).toBe('2031-03-04T19:00');
  });

  it('is dropped when neither the evening before nor the morning is possible', () => {
    const due = at('2031-03-01T02:00', 'UTC');
    const earlyNow = at('2031-03-01T01:00', 'UTC');
    expect(deliveryTime({ due, tz: 'UTC', quiet, now: earlyNow, deadline: at('2031-03-01T03:00', 'UTC') })).toBeUndefined();
  });
});
