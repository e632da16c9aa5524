import { parseArgs } from 'node:util';
import { fragment } from '../../core/text.ts';
import { parseReleaseKey, RELEASE_TYPES, RISKS } from '../../core/release.ts';
import { CommandError } from './command-error.ts';
import { parseWhen } from './when.ts';
import type { CommandReading, PlanFlags } from './types.ts';

/** Splits on spaces, keeping "quoted text" (straight or curly quotes, as Slack clients type) together. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const pattern = /"([^"]*)"|“([^”]*)”|'([^']*)'|‘([^’]*)’|(\S+)/g;
  for (const match of text.matchAll(pattern)) tokens.push(match[1] ?? match[2] ?? match[3] ?? match[4] ?? match[5] ?? '');
  return tokens;
}

export function releaseId(token: string | undefined, verb: string, usage: string): number {
  const id = token ? parseReleaseKey(token) : undefined;
  if (id === undefined) throw new CommandError(`\`${verb}\` needs a release like REL-12: \`/release ${usage}\`.`);
  return id;
}

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T {
  const lower = value?.toLowerCase();
  if (!lower || !(allowed as readonly string[]).includes(lower)) throw new CommandError(`\`${flag}\` takes one of: ${allowed.join(', ')}.`);
  return lower as T;
}

/** Flags that may stand alone (`--training`) or take values (`--training https://wiki/… https://…`). */
const OPTIONAL_VALUE = new Set(['training']);
const OPTIONAL_VALUE_TOKEN = /^(https?:\/\/\S+|yes|no|true|false)$/i;

/**
 * Reads `--flag value` and `--flag=value` options among positional words with node's parseArgs, after
 * relm's own tokenizer: flag names in any case, an em dash where a Slack client turned `--` into one,
 * and the few flags whose value is optional or repeated expanded to parseArgs' form first.
 */
export function parseFlags(tokens: string[], allowed: readonly string[]): { positional: string[]; flags: Map<string, string[]> } {
  const args: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!/^(--|—)/.test(token)) {
      // A positional word that looks like an option (`-1`) stays a positional word.
      args.push(token.startsWith('-') ? `\u0000${token}` : token);
      continue;
    }
    const body = token.replace(/^(--|—)/, '');
    const eq = body.indexOf('=');
    const name = (eq < 0 ? body : body.slice(0, eq)).toLowerCase();
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (!allowed.includes(name)) throw new CommandError(`Unknown option \`--${fragment(name, 30)}\`. Options here: ${allowed.map((a) => `--${a}`).join(', ')}.`);
    if (OPTIONAL_VALUE.has(name)) {
      const values = inline !== undefined ? [inline] : [];
      while (inline === undefined && i + 1 < tokens.length && OPTIONAL_VALUE_TOKEN.test(tokens[i + 1]!)) values.push(tokens[++i]!);
      args.push(...(values.length ? values : ['yes']).map((v) => `--${name}=${v}`));
      continue;
    }
    if (inline !== undefined) args.push(`--${name}=${inline}`);
    else {
      const value = tokens[i + 1];
      if (value === undefined || /^(--|—)/.test(value)) throw new CommandError(`\`--${name}\` needs a value.`);
      // Given as one `--name=value` so a value that starts with "-" (`--at -1h`) is still a value.
      args.push(`--${name}=${value}`);
      i++;
    }
  }
  const options = Object.fromEntries(allowed.map((name) => [name, { type: 'string' as const, multiple: true }]));
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
  const flags = new Map<string, string[]>();
  for (const [name, given] of Object.entries(values)) {
    const list = given as string[] | undefined;
    if (!list) continue;
    if (list.length > 1 && !OPTIONAL_VALUE.has(name)) throw new CommandError(`\`--${name}\` is given twice.`);
    flags.set(name, list);
  }
  return { positional: positionals.map((p) => p.replace(/^\u0000/, '')), flags };
}

/** The flags of `new`, which `edit` takes too. */
export const PLAN_FLAG_NAMES = ['type', 'at', 'title', 'risk', 'risk-reason', 'model', 'waves', 'rollback', 'tests', 'description', 'training', 'impact', 'contact'] as const;
const TEXT_LIMITS: Record<string, number> = { 'risk-reason': 500, title: 150, description: 3000, rollback: 3000, tests: 3000, waves: 500, version: 64, impact: 1000 };

function trainingFlag(values: string[]): { needed: boolean; links: string[] } {
  const words = values.filter((v) => !/^https?:\/\//i.test(v)).map((v) => v.toLowerCase());
  const links = values.filter((v) => /^https?:\/\//i.test(v));
  if (words.length > 1 || (words.length === 1 && links.length && words[0] !== 'yes')) {
    throw new CommandError('`--training` takes links to the training material, or `no` when none is needed: `--training https://wiki.example.com/checkout`.');
  }
  const needed = words[0] !== 'no' && words[0] !== 'false';
  return { needed, links: needed ? links : [] };
}

/** One flag's value, within its length limit. */
export function flagText(flags: Map<string, string[]>, name: string): string | undefined {
  const value = flags.get(name)?.[0];
  if (value !== undefined && TEXT_LIMITS[name] && value.length > TEXT_LIMITS[name]!) throw new CommandError(`\`--${name}\` takes at most ${TEXT_LIMITS[name]} characters.`);
  return value;
}

/**
 * Whom to ask during early life support: a channel or a person, as Slack sends a mention in a command
 * (`<#C0123|support>`, `<@U0123>`) or as a bare id; `none` clears it.
 */
export function parseContact(text: string): string | null | undefined {
  const trimmed = text.trim();
  if (/^(none|-)$/i.test(trimmed)) return null;
  const match = /^<?[#@]?([CGUW][A-Z0-9]{2,})(\|[^>]*)?>?$/.exec(trimmed);
  return match ? match[1]! : undefined;
}

function contactFlag(text: string): string | null {
  const contact = parseContact(text);
  if (contact === undefined) throw new CommandError('`--contact` takes a channel or a person: `--contact #support` (as Slack links it) or a Slack id like C0123ABCD or U0123ABCD; `--contact none` clears it.');
  return contact;
}

export function planFlags(flags: Map<string, string[]>, reading: CommandReading): PlanFlags {
  const result: PlanFlags = {};
  if (flags.has('type')) result.type = oneOf(flagText(flags, 'type'), RELEASE_TYPES, '--type');
  if (flags.has('at')) result.at = parseWhen(flagText(flags, 'at')!, reading.zone, reading.now);
  if (flags.has('risk')) result.risk = oneOf(flagText(flags, 'risk'), RISKS, '--risk');
  if (flags.has('risk-reason')) result.riskReason = flagText(flags, 'risk-reason');
  for (const name of ['title', 'model', 'waves', 'rollback', 'tests', 'description', 'impact'] as const) if (flags.has(name)) result[name] = flagText(flags, name);
  if (flags.has('contact')) result.contact = contactFlag(flagText(flags, 'contact')!);
  if (flags.has('training')) result.training = trainingFlag(flags.get('training')!);
  return result;
}
