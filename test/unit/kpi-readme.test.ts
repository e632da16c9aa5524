import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KPI_DEFINITIONS } from '../../src/core/kpi/definitions.ts';

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

describe("the README's KPI table", () => {
  it('says what src/core/kpi/definitions.ts says, row for row', () => {
    const rows = README.split('\n').filter((line) => line.startsWith('| ') && / \| (ITIL|DORA) \| /.test(line));
    expect(rows.map((r) => r.split(' | ')[0]!.slice(2))).toEqual(KPI_DEFINITIONS.map((d) => d.name));
    for (const d of KPI_DEFINITIONS) {
      const cell = (text: string) => (text ? ` ${text} ` : '  ');
      expect(rows, d.key).toContain(`|${cell(d.name)}|${cell(d.group.toUpperCase())}|${cell(d.formula)}|${cell(d.counts)}|${cell(d.excludes)}|`);
    }
  });
});
