import { DateTime, Interval } from 'luxon';

/** A recurring change window such as "Mon-Thu 09:00-16:00", in the policy's timezone. */
export interface ChangeWindow {
  text: string;
  days: ReadonlySet<number>; // luxon weekday numbers, 1 = Monday
  startMinute: number;
  endMinute: number;
}

/** A freeze: no change between `from` and `to`, both whole days inclusive, in the policy's timezone. */
export interface Freeze {
  from: string; // YYYY-MM-DD
  to: string;
  reason: string;
}

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WINDOW_PATTERN = /^([A-Za-z]{3}(?:-[A-Za-z]{3})?(?:,[A-Za-z]{3}(?:-[A-Za-z]{3})?)*)\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

function dayNumber(name: string, text: string): number {
  const index = DAY_NAMES.indexOf(name.toLowerCase());
  if (index < 0) throw new Error(`"${name}" in window "${text}" is not a day (Mon, Tue, ... Sun)`);
  return index + 1;
}

/** Parses "Mon-Thu 09:00-16:00" or "Mon,Wed 10:00-12:00"; throws a readable error otherwise. */
export function parseWindow(text: string): ChangeWindow {
  const match = WINDOW_PATTERN.exec(text.trim());
  if (!match) throw new Error(`window "${text}" should look like "Mon-Thu 09:00-16:00"`);
  const [, dayPart, h1, m1, h2, m2] = match as unknown as [string, string, string, string, string, string];
  const days = new Set<number>();
  for (const piece of dayPart.split(',')) {
    const [first, last] = piece.split('-') as [string, string | undefined];
    const start = dayNumber(first, text);
    const end = last ? dayNumber(last, text) : start;
    for (let d = start; ; d = (d % 7) + 1) {
      days.add(d);
      if (d === end) break;
    }
  }
  const startMinute = Number(h1) * 60 + Number(m1);
  const endMinute = Number(h2) * 60 + Number(m2);
  if (Number(h1) > 23 || Number(h2) > 24 || Number(m1) > 59 || Number(m2) > 59 || endMinute > 24 * 60) {
    throw new Error(`window "${text}" has a time that is not on a clock`);
  }
  if (endMinute <= startMinute) throw new Error(`window "${text}" ends before it starts`);
  return { text, days, startMinute, endMinute };
}

export interface Calendar {
  timezone: string;
  windows: readonly ChangeWindow[];
  freezes: readonly Freeze[];
}

export type SlotCheck =
  | { allowed: true }
  | { allowed: false; reason: 'freeze'; freeze: Freeze }
  | { allowed: false; reason: 'outside_window' };

export function freezeAt(calendar: Calendar, at: Date): Freeze | undefined {
  const day = DateTime.fromJSDate(at, { zone: calendar.timezone }).toISODate();
  return calendar.freezes.find((freeze) => day !== null && day >= freeze.from && day <= freeze.to);
}

function inWindow(calendar: Calendar, at: Date): boolean {
  if (calendar.windows.length === 0) return true;
  const local = DateTime.fromJSDate(at, { zone: calendar.timezone });
  const minute = local.hour * 60 + local.minute;
  return calendar.windows.some((w) => w.days.has(local.weekday) && minute >= w.startMinute && minute < w.endMinute);
}

/** Whether a change may start at `at`: inside a window (when windows are set) and outside every freeze. */
export function checkSlot(calendar: Calendar, at: Date, options: { bypassFreeze?: boolean } = {}): SlotCheck {
  const freeze = options.bypassFreeze ? undefined : freezeAt(calendar, at);
  if (freeze) return { allowed: false, reason: 'freeze', freeze };
  if (!inWindow(calendar, at)) return { allowed: false, reason: 'outside_window' };
  return { allowed: true };
}

function atMinute(day: DateTime, minute: number): DateTime {
  if (minute >= 24 * 60) return day.plus({ days: 1 }).startOf('day');
  return day.set({ hour: Math.floor(minute / 60), minute: minute % 60, second: 0, millisecond: 0 });
}

/**
 * The first moment at or after `from` when a change may start, looking `horizonDays` ahead;
 * undefined when there is none (a freeze longer than the horizon, or no window at all).
 */
export function nextAllowedSlot(
  calendar: Calendar,
  from: Date,
  options: { bypassFreeze?: boolean; horizonDays?: number } = {},
): Date | undefined {
  if (checkSlot(calendar, from, options).allowed) return from;
  const start = DateTime.fromJSDate(from, { zone: calendar.timezone });
  const horizon = options.horizonDays ?? 120;
  const windows = calendar.windows.length > 0 ? calendar.windows : [{ text: 'all day', days: new Set([1, 2, 3, 4, 5, 6, 7]), startMinute: 0, endMinute: 24 * 60 }];
  for (let offset = 0; offset <= horizon; offset++) {
    const day = start.startOf('day').plus({ days: offset });
    const opens = windows
      .filter((w) => w.days.has(day.weekday))
      // Wall-clock times, not elapsed minutes, so a window on a clock-change day opens when it says.
      .map((w) => Interval.fromDateTimes(atMinute(day, w.startMinute), atMinute(day, w.endMinute)))
      .sort((a, b) => a.start!.toMillis() - b.start!.toMillis());
    for (const window of opens) {
      const candidate = window.start! < start ? start : window.start!;
      if (candidate >= window.end!) continue;
      const at = candidate.toJSDate();
      if (checkSlot(calendar, at, options).allowed) return at;
    }
  }
  return undefined;
}

/**
 * How much of the time from `from` to `to` falls inside `windows` in `zone` (working time: a request
 * made on Friday evening has waited no working hours by Monday 09:00). No windows: all of it.
 */
export function timeWithin(windows: readonly ChangeWindow[], zone: string, from: Date, to: Date): number {
  if (to <= from) return 0;
  if (windows.length === 0) return to.getTime() - from.getTime();
  let total = 0;
  let day = DateTime.fromJSDate(from, { zone }).startOf('day');
  const last = DateTime.fromJSDate(to, { zone });
  // Bounded: a request is never chased for more than a year of days.
  for (let i = 0; day <= last && i < 400; i++, day = day.plus({ days: 1 })) {
    for (const window of windows) {
      if (!window.days.has(day.weekday)) continue;
      const start = day.set({ hour: Math.floor(window.startMinute / 60), minute: window.startMinute % 60 }).toMillis();
      const end = window.endMinute === 24 * 60 ? day.plus({ days: 1 }).toMillis() : day.set({ hour: Math.floor(window.endMinute / 60), minute: window.endMinute % 60 }).toMillis();
      total += Math.max(0, Math.min(end, to.getTime()) - Math.max(start, from.getTime()));
    }
  }
  return total;
}
