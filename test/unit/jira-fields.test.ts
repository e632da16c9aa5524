import { describe, expect, it } from 'vitest';
import { SKIP, formatField } from '../../src/integrations/jira/field-format.ts';
import { mentionedIssueKeys } from '../../src/core/issue-keys.ts';

const at = new Date('2026-07-01T23:30:00Z');
const field = (value: Date | string | null) => ({ id: 'customfield_1', name: 'planned_start', value });

describe('formatField: a relm value in the shape of the Jira field type', () => {
  it('writes a datetime as Jira does, in UTC', () => {
    expect(formatField(field(at), { type: 'datetime' }, 'Europe/London')).toBe('2026-07-01T23:30:00.000+0000');
  });

  it('writes a date as the day in relm\'s timezone', () => {
    expect(formatField(field(at), { type: 'date' }, 'Europe/London')).toBe('2026-07-02');
    expect(formatField(field(at), { type: 'date' }, 'UTC')).toBe('2026-07-01');
  });

  it('writes select options, lists and text', () => {
    expect(formatField(field('High'), { type: 'option' }, 'UTC')).toEqual({ value: 'High' });
    expect(formatField(field('High'), { type: 'array', items: 'option' }, 'UTC')).toEqual([{ value: 'High' }]);
    expect(formatField(field('High'), { type: 'string' }, 'UTC')).toBe('High');
  });

  it('leaves a URL field out rather than send it something that is not a URL', () => {
    const url = { type: 'string', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:url' };
    expect(formatField(field('REL-4'), url, 'UTC')).toBe(SKIP);
    expect(formatField(field('https://x.slack.com/archives/C1/p1'), url, 'UTC')).toBe('https://x.slack.com/archives/C1/p1');
  });

  it('clears with null, and names the mapping when the type cannot hold the value', () => {
    expect(formatField(field(null), { type: 'datetime' }, 'UTC')).toBeNull();
    expect(() => formatField(field('High'), { type: 'datetime' }, 'UTC')).toThrow('jira.fields.planned_start is customfield_1, a datetime field, which cannot hold a text');
    expect(() => formatField(field(at), { type: 'user' }, 'UTC')).toThrow('a user field');
  });
});

describe('mentionedIssueKeys', () => {
  it('finds Jira keys in order, once each, without REL-n keys or the change ticket', () => {
    expect(mentionedIssueKeys(['Fixes ABC-1 and OPS_2-30.', 'see ABC-1, REL-4, CHG-9', 'lower abc-2, X-1, AB-'], 'CHG-9')).toEqual(['ABC-1', 'OPS_2-30']);
  });
});
