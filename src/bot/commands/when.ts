import * as chrono from 'chrono-node';
import { DateTime, FixedOffsetZone } from 'luxon';
import { fragment } from '../../core/text.ts';
import { CommandError } from './command-error.ts';


const EXAMPLES = '`now`, `+2h`, `in 30m`, `tomorrow 10:00`, `mon 09:00`, `next tuesday 14:30` or `YYYY-MM-DD HH:mm`';

/** "in 30m", "+2h", "now": a span from now, which no change of clock (DST) may stretch. */
const RELATIVE = /^(now|\+\s*\d|in\s+\d)/i;

/**
 * Reads a time a person typed, in their own timezone, relative to `now`: ISO 8601 ("2026-12-01T10:00",
 * with or without an offset), "2026-12-01 10:00", or natural words that chrono-node understands
 * ("tomorrow 10:00", "mon 09:00", "in 30m", "+2h", "now"). Anything it cannot read as exactly one
 * instant with a time of day is refused, naming what was understood.
 */
export function parseWhen(text: string, zone: string, now: Date): Date {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  if (!trimmed) throw new CommandError(`Give a time: ${EXAMPLES}.`);
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) return parseAbsolute(trimmed, zone);
  if (/\b\d{1,2}[/.]\d{1,2}\b/.test(trimmed)) throw new CommandError(`"${fragment(trimmed, 40)}" could mean two days (day/month or month/day): write the date as YYYY-MM-DD, like \`${DateTime.fromJSDate(now, { zone }).plus({ days: 1 }).toFormat('yyyy-MM-dd')} 10:00\`.`);

  const offsetNow = DateTime.fromJSDate(now, { zone }).offset;
  const results = chrono.parse(trimmed, { instant: now, timezone: offsetNow }, { forwardDate: true });
  const [result] = results;
  if (!result || result.index !== 0) throw new CommandError(`"${fragment(trimmed, 40)}" is not a time I can read: write ${EXAMPLES} (${zone}).`);
  if (results.length > 1 || result.text.length !== trimmed.length) {
    throw new CommandError(`I read "${fragment(result.text, 40)}" in "${fragment(trimmed, 60)}" and not the rest: write the time alone, like ${EXAMPLES}.`);
  }
  if (result.end) throw new CommandError(`"${fragment(trimmed, 40)}" is a range; give the planned start alone, like \`tomorrow 10:00\`.`);
  if (!result.start.isCertain('hour') && !RELATIVE.test(trimmed)) {
    const day = DateTime.fromJSDate(result.start.date(), { zone }).toFormat('cccc d LLLL');
    throw new CommandError(`"${fragment(trimmed, 40)}" says the day (${day}) but not the time: add one, like \`${fragment(trimmed, 30)} 10:00\`.`);
  }
  if (RELATIVE.test(trimmed)) return result.start.date();
  // chrono worked at today's UTC offset; a wall-clock time on a day with another offset (DST) is rebuilt in the zone.
  const wall = DateTime.fromJSDate(result.start.date(), { zone: FixedOffsetZone.instance(offsetNow) });
  const local = DateTime.fromObject({ year: wall.year, month: wall.month, day: wall.day, hour: wall.hour, minute: wall.minute, second: wall.second }, { zone });
  return local.toJSDate();
}

function parseAbsolute(text: string, zone: string): Date {
  let parsed = DateTime.fromISO(text, { zone });
  if (!parsed.isValid) parsed = DateTime.fromFormat(text, 'yyyy-MM-dd HH:mm', { zone });
  if (!parsed.isValid) throw new CommandError(`"${fragment(text, 40)}" is not a time: write YYYY-MM-DD HH:mm (${zone}), a full ISO 8601 time with an offset, or ${EXAMPLES}.`);
  return parsed.toJSDate();
}
