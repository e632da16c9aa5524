import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['0s', 0],
    [' 90m ', 5_400_000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '7', 'd', '1.5h', '-1m', '7D', '7 d', '1w', '2h30m', '30sec'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(`"${text}" is not a duration like 30s, 15m, 2h or 7d`);
  });
});

describe('formatDuration', () => {
  it.each([
    [604_800_000, '7d'],
    [86_400_000, '1d'],
    [129_600_000, '36h'],
    [3_600_000, '1h'],
    [5_400_000, '90m'],
    [60_000, '1m'],
    [30_000, '30s'],
    [90_000, '90s'],
    [0, '0s'],
  ])('%d ms is %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips every duration it can parse', () => {
    for (const text of ['45s', '15m', '2h', '7d', '90m', '36h']) expect(formatDuration(parseDuration(text))).toBe(text);
  });
});
