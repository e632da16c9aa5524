import { DateTime } from 'luxon';
import { ChangeTrackerRejectedError, type TicketField } from '../../core/ports/change-tracker.ts';

/** A field's type as Jira reports it in `GET /rest/api/3/field` (`schema`). */
export interface FieldSchema {
  type: string;
  items?: string;
  custom?: string;
}

/** Marks a value a field cannot hold (no release link for a URL field): the field is left out. */
export const SKIP = Symbol('skip');

function text(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : value;
}

/**
 * A relm value in the shape Jira's REST v3 wants for a field of this type. Times are written as Jira
 * writes them (`2026-12-01T10:00:00.000+0000`); a date field takes the day in relm's timezone.
 */
export function formatField(field: TicketField, schema: FieldSchema, timezone: string): unknown {
  const { value } = field;
  if (value === null) return null;
  const wrong = () => new ChangeTrackerRejectedError(`jira.fields.${field.name} is ${field.id}, a ${schema.items ? `${schema.type} of ${schema.items}` : schema.type} field, which cannot hold a ${value instanceof Date ? 'time' : 'text'}`);
  switch (schema.type) {
    case 'datetime':
      if (!(value instanceof Date)) throw wrong();
      return DateTime.fromJSDate(value, { zone: 'utc' }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZZ");
    case 'date':
      if (!(value instanceof Date)) throw wrong();
      return DateTime.fromJSDate(value, { zone: timezone }).toISODate();
    case 'option':
      return { value: text(value) };
    case 'array':
      if (schema.items === 'option') return [{ value: text(value) }];
      if (schema.items === 'string') return [text(value)];
      throw wrong();
    case 'string':
      // A URL field refuses anything but a URL; the release key alone is better left out than refused.
      if (schema.custom?.endsWith(':url') && !/^https?:\/\//.test(text(value))) return SKIP;
      return text(value);
    default:
      throw wrong();
  }
}
