import { describe, expect, it } from 'vitest';
import { fragment } from '../../src/core/text.ts';

describe('fragment', () => {
  it('keeps ordinary text as it is', () => {
    expect(fragment('payments 1.2.3')).toBe('payments 1.2.3');
  });

  it('strips <, > and & so a quote cannot mention, link or escape', () => {
    expect(fragment('<!channel>')).toBe('!channel');
    expect(fragment('<@U123|bob> & <https://evil.example|click>')).toBe('@U123|bob https://evil.example|click');
    expect(fragment('&lt;b&gt;')).toBe('lt;bgt;');
  });

  it('collapses whitespace, including newlines, to single spaces', () => {
    expect(fragment('a\n\n b\t\tc')).toBe('a b c');
  });

  it('cuts long text at 60 characters by default, with an ellipsis', () => {
    const cut = fragment('x'.repeat(100));
    expect(cut).toBe(`${'x'.repeat(60)}…`);
    expect(fragment('x'.repeat(60))).toBe('x'.repeat(60));
  });

  it('takes another maximum', () => {
    expect(fragment('abcdefghij', 4)).toBe('abcd…');
  });

  it('measures the length after stripping markup', () => {
    expect(fragment('<<<<abcd>>>>', 4)).toBe('abcd');
  });
});
