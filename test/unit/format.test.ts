import { describe, expect, it } from 'vitest';
import { approverRef, clip, escapeText, mention, slackTime, stateLabel } from '../../src/bot/blocks/format.ts';
import { RELEASE_STATES } from '../../src/core/release.ts';

describe('escapeText', () => {
  it('escapes &, < and > so Slack shows them as typed', () => {
    expect(escapeText('<!channel> & <@U123>')).toBe('&lt;!channel&gt; &amp; &lt;@U123&gt;');
  });

  it('escapes an ampersand first, so an already-escaped entity shows literally', () => {
    expect(escapeText('&lt;')).toBe('&amp;lt;');
  });

  it('leaves other characters, including Slack formatting, alone', () => {
    expect(escapeText('*bold* _it_ `code` "quotes" é ✓')).toBe('*bold* _it_ `code` "quotes" é ✓');
  });
});

describe('clip', () => {
  it('leaves short text whole (but escaped)', () => {
    expect(clip('a < b')).toBe('a &lt; b');
  });

  it('cuts to at most 600 characters by default, ellipsis included', () => {
    expect(clip('x'.repeat(600))).toBe('x'.repeat(600));
    expect(clip('x'.repeat(601))).toBe(`${'x'.repeat(599)}…`);
    expect(clip('x'.repeat(601))).toHaveLength(600);
  });

  it('counts the escaped length, as Slack does, and never splits an entity', () => {
    expect(clip('&&&&', 11)).toBe('&amp;&amp;…');
    expect(clip('&&&&', 9)).toBe('&amp;…');
    expect(clip('ab<cd', 5)).toBe('ab…');
    for (const max of [2, 5, 9, 11, 16]) expect(clip('&<>&<>', max).length).toBeLessThanOrEqual(max);
  });
});

describe('slackTime', () => {
  it('renders a Slack date token with a UTC fallback', () => {
    const date = new Date('2026-12-01T10:05:42Z');
    expect(slackTime(date)).toBe(`<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} {time}|2026-12-01 10:05 UTC>`);
  });

  it('uses whole seconds since the epoch', () => {
    expect(slackTime(new Date(1_800_000_000_999))).toMatch(/^<!date\^1800000000\^/);
  });
});

describe('mention', () => {
  it('mentions Slack user ids', () => {
    expect(mention('U0ALICE')).toBe('<@U0ALICE>');
    expect(mention('W0ENTERPRISE')).toBe('<@W0ENTERPRISE>');
  });

  it('shows anything else as escaped text', () => {
    expect(mention('system')).toBe('system');
    expect(mention('<!channel>')).toBe('&lt;!channel&gt;');
    expect(mention('u0alice')).toBe('u0alice');
    expect(mention('C0CHANNEL')).toBe('C0CHANNEL');
  });
});

describe('approverRef', () => {
  it('shows a user group as a user-group mention', () => {
    expect(approverRef('S0APPROVERS')).toBe('<!subteam^S0APPROVERS>');
  });

  it('shows a user as a mention', () => {
    expect(approverRef('U0BOB')).toBe('<@U0BOB>');
    expect(approverRef('W0BOB')).toBe('<@W0BOB>');
  });

  it('shows a relm.yml group name in italics, escaped', () => {
    expect(approverRef('cab')).toBe('_cab_');
    expect(approverRef('a<b>')).toBe('_a&lt;b&gt;_');
  });
});

describe('stateLabel', () => {
  it('has a label for every state', () => {
    for (const state of RELEASE_STATES) expect(stateLabel(state)).toMatch(/^:[a-z_]+: \S/);
  });

  it('labels the states people watch for', () => {
    expect(stateLabel('submitted')).toBe(':hourglass_flowing_sand: Awaiting approval');
    expect(stateLabel('in_progress')).toBe(':rocket: Rolling out');
    expect(stateLabel('rolled_back')).toBe(':rewind: Rolled back');
  });
});
