import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRelmFile } from '../../src/config/relm-file.ts';
import { helpText as helpFor } from '../../src/bot/commands/help.ts';
import { VERBS } from '../../src/bot/commands/verbs/index.ts';

const helpText = (settings: Parameters<typeof helpFor>[0]) => helpFor(settings, VERBS);

const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');
const sample = parseRelmFile(read('../../relm.yml'), 'relm.yml').settings;
const README = read('../../README.md');
const PLAN_FLAGS = ['--type', '--at', '--title', '--risk', '--model', '--waves', '--rollback', '--tests', '--description', '--training', '--impact', '--contact'];

describe('/release help', () => {
  it('gives its examples for the services and models this relm.yml has', () => {
    const help = helpText(sample);
    expect(help).toContain('`new demo 1.4.0 --at "tomorrow 10:00"');
    expect(help).toContain('`where demo`');
    expect(help).toContain('--model two-waves');
    expect(help).toContain('canary=eu-1@10m; everywhere=eu-2,us-1');
    expect(help).not.toContain('payments');
  });

  it('lists every flag of new and edit, and only relative times as examples', () => {
    const help = helpText(sample);
    for (const flag of PLAN_FLAGS) expect(help).toContain(flag);
    expect(help).not.toMatch(/\d{4}-\d{2}-\d{2}/);
  });

  it('names every verb every spec answers to, so no verb goes without help', () => {
    const help = helpText(sample);
    for (const name of VERBS.flatMap((spec) => spec.names).filter((n) => !['help', '?', 'plan'].includes(n))) {
      expect(help, name).toMatch(new RegExp(`\`${name}[ \`]`));
    }
  });

  it("lists every verb in the README's /release table", () => {
    const table = README.slice(README.indexOf('## The `/release` command'), README.indexOf('## Configuration'));
    for (const name of VERBS.flatMap((spec) => spec.names).filter((n) => !['?', 'plan'].includes(n))) expect(table, name).toMatch(new RegExp(`\`${name}[ \`]`));
  });

  it("matches the README's /release table, which lists the same flags", () => {
    const row = README.split('\n').find((line) => line.startsWith('| `new <service> <version>'))!;
    for (const flag of PLAN_FLAGS) expect(row).toContain(flag);
    expect(README).toContain('| `edit REL-n [flags]` |');
  });
});
