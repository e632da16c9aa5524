import { DateTime } from 'luxon';
import type { NotifySettings } from './settings.ts';

type Quiet = NotifySettings['quietHours'];

function local(at: Date, tz: string): DateTime {
  const dt = DateTime.fromJSDate(at, { zone: tz });
  return dt.isValid ? dt : DateTime.fromJSDate(at, { zone: 'UTC' });
}

function minuteOfDay(dt: DateTime): number {
  return dt.hour * 60 + dt.minute;
}

/** Whether `at` falls in the quiet hours of someone in `tz` (a span may run past midnight). */
export function inQuietHours(at: Date, tz: string, quiet: Quiet): boolean {
  const m = minuteOfDay(local(at, tz));
  return quiet.fromMinute > quiet.toMinute ? m >= quiet.fromMinute || m < quiet.toMinute : m >= quiet.fromMinute && m < quiet.toMinute;
}

/** The next local moment at `minute` after midnight, at or after `at` (wall-clock, so DST is honoured). */
function nextLocal(at: Date, tz: string, minute: number, strictlyAfter = false): DateTime {
  const now = local(at, tz);
  let candidate = now.set({ hour: Math.floor(minute / 60), minute: minute % 60, second: 0, millisecond: 0 });
  if (candidate < now || (strictlyAfter && candidate.equals(now))) candidate = candidate.plus({ days: 1 }).set({ hour: Math.floor(minute / 60), minute: minute % 60 });
  return candidate;
}

/** The last local moment at `minute` at or before `at`. */
function previousLocal(at: Date, tz: string, minute: number): DateTime {
  const now = local(at, tz);
  let candidate = now.set({ hour: Math.floor(minute / 60), minute: minute % 60, second: 0, millisecond: 0 });
  if (candidate > now) candidate = candidate.minus({ days: 1 }).set({ hour: Math.floor(minute / 60), minute: minute % 60 });
  return candidate;
}

/** When the quiet hours that `at` falls in end. */
export function quietHoursEnd(at: Date, tz: string, quiet: Quiet): Date {
  return nextLocal(at, tz, quiet.toMinute, true).toJSDate();
}

/** An hour before the quiet hours that `at` falls in began: the evening before. */
function eveningBefore(at: Date, tz: string, quiet: Quiet): Date {
  return previousLocal(at, tz, quiet.fromMinute).minus({ hours: 1 }).toJSDate();
}

export interface DeliveryRequest {
  /** When the notice would go if nobody slept. */
  due: Date;
  tz: string;
  quiet: Quiet;
  now: Date;
  /** A reminder must arrive before this (the planned start); other notices have no deadline. */
  deadline?: Date;
  /** Never held (the start notice of an emergency release). */
  urgent?: boolean;
}

/**
 * When a personal notice reaches someone: at its due time, unless that is in their quiet hours; then at
 * the end of their night, or, for a reminder whose start comes before morning, the evening before;
 * undefined when neither is possible (their next notice is the start itself).
 */
export function deliveryTime(request: DeliveryRequest): Date | undefined {
  const { due, tz, quiet, now, deadline } = request;
  const at = due < now ? now : due;
  if (request.urgent || !inQuietHours(at, tz, quiet)) return at;
  const morning = quietHoursEnd(at, tz, quiet);
  if (!deadline || morning < deadline) return morning;
  const evening = eveningBefore(at, tz, quiet);
  return evening >= now && !inQuietHours(evening, tz, quiet) ? evening : undefined;
}

/** The longest that quiet hours can move a reminder earlier, so its fan-out starts that much ahead. */
export function quietHoursLength(quiet: Quiet): number {
  const minutes = (quiet.toMinute - quiet.fromMinute + 24 * 60) % (24 * 60);
  return (minutes + 60) * 60_000;
}
