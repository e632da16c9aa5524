import { fragment } from '../../core/text.ts';
import { CommandError } from './command-error.ts';
import { parseWhen } from './when.ts';
import { RELEASE_STATES, RELEASE_TYPES, RISKS, parseReleaseKey, type ReleaseState, type ReleaseType, type Risk } from '../../core/release.ts';

/** A `/release` command, parsed and validated; the bot maps each to one use case. */
export type ReleaseCommand =
  | { verb: 'help' }
  | ({ verb: 'new'; service?: string; version?: string } & PlanFlags)
  | ({ verb: 'edit'; id: number; version?: string } & PlanFlags)
  | { verb: 'submit'; id: number }
  | { verb: 'approve'; id: number; comment: string | null }
  | { verb: 'reject'; id: number; reason: string }
  | { verb: 'cancel'; id: number; reason: string }
  | { verb: 'list'; service?: string; state?: ReleaseState }
  | { verb: 'show'; id: number }
  | { verb: 'schedule'; id: number; at: Date }
  | { verb: 'policy'; service?: string }
  | { verb: 'start' | 'pause' | 'resume' | 'retry' | 'continue'; id: number }
  | { verb: 'abort' | 'rollback'; id: number; reason: string }
  | { verb: 'calendar'; days: number }
  | { verb: 'where'; service: string }
  | { verb: 'incident'; id: number; ref: string }
  | { verb: 'audit'; id?: number };

export { CommandError, parseWhen };

/** The plan fields a command may set: `new` plans with them, `edit REL-n` changes just these. */
export interface PlanFlags {
  type?: ReleaseType;
  at?: Date;
  title?: string;
  risk?: Risk;
  model?: string;
  waves?: string;
  rollback?: string;
  tests?: string;
  description?: string;
  training?: { needed: boolean; links: string[] };
}

/** What a command is read against: the typing user's timezone and the moment it was typed. */
export interface CommandReading {
  zone: string;
  now: Date;
}

const MAX_LENGTH = 4_000;

/** Splits on spaces, keeping "quoted text" (straight or curly quotes) together. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const pattern = /"([^"]*)"|“([^”]*)”|'([^']*)'|‘([^’]*)’|(\S+)/g;
  for (const match of text.matchAll(pattern)) tokens.push(match[1] ?? match[2] ?? match[3] ?? match[4] ?? match[5] ?? '');
  return tokens;
}

function releaseId(token: string | undefined, verb: string, usage: string): number {
  const id = token ? parseReleaseKey(token) : undefined;
  if (id === undefined) throw new CommandError(`\`${verb}\` needs a release like REL-12: \`/release ${usage}\`.`);
  return id;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T {
  const lower = value?.toLowerCase();
  if (!lower || !(allowed as readonly string[]).includes(lower)) throw new CommandError(`\`${flag}\` takes one of: ${allowed.join(', ')}.`);
  return lower as T;
}

/** Flags that may stand alone (`--training`) or take values (`--training https://wiki/…`). */
const OPTIONAL_VALUE = new Set(['training']);

function parseFlags(tokens: string[], allowed: string[]): { positional: string[]; flags: Map<string, string[]> } {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!/^(--|—)/.test(token)) {
      positional.push(token);
      continue;
    }
    // Slack clients may turn "--" into an em dash.
    const body = token.replace(/^(--|—)/, '');
    const eq = body.indexOf('=');
    const name = (eq < 0 ? body : body.slice(0, eq)).toLowerCase();
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (!allowed.includes(name)) throw new CommandError(`Unknown option \`--${fragment(name, 30)}\`. Options here: ${allowed.map((a) => `--${a}`).join(', ')}.`);
    if (flags.has(name)) throw new CommandError(`\`--${name}\` is given twice.`);
    if (OPTIONAL_VALUE.has(name)) {
      const values = inline !== undefined ? [inline] : [];
      while (inline === undefined && i + 1 < tokens.length && /^(https?:\/\/\S+|yes|no|true|false)$/i.test(tokens[i + 1]!)) values.push(tokens[++i]!);
      flags.set(name, values);
      continue;
    }
    const value = inline ?? tokens[++i];
    if (value === undefined || /^(--|—)/.test(value)) throw new CommandError(`\`--${name}\` needs a value.`);
    flags.set(name, [value]);
  }
  return { positional, flags };
}

const PLAN_FLAG_NAMES = ['type', 'at', 'title', 'risk', 'model', 'waves', 'rollback', 'tests', 'description', 'training'];
const TEXT_LIMITS: Record<string, number> = { title: 150, description: 3000, rollback: 3000, tests: 3000, waves: 500 };

function trainingFlag(values: string[]): { needed: boolean; links: string[] } {
  const words = values.filter((v) => !/^https?:\/\//i.test(v)).map((v) => v.toLowerCase());
  const links = values.filter((v) => /^https?:\/\//i.test(v));
  if (words.length > 1 || (words.length === 1 && links.length)) throw new CommandError('`--training` takes links to the training material, or `no` when none is needed: `--training https://wiki.example.com/checkout`.');
  const needed = words.length === 0 || words[0] === 'yes' || words[0] === 'true';
  return { needed, links: needed ? links : [] };
}

function planFlags(flags: Map<string, string[]>, reading: CommandReading): PlanFlags {
  const one = (name: string) => {
    const value = flags.get(name)?.[0];
    if (value !== undefined && TEXT_LIMITS[name] && value.length > TEXT_LIMITS[name]!) throw new CommandError(`\`--${name}\` takes at most ${TEXT_LIMITS[name]} characters.`);
    return value;
  };
  const result: PlanFlags = {};
  if (flags.has('type')) result.type = oneOf(one('type'), RELEASE_TYPES, '--type');
  if (flags.has('at')) result.at = parseWhen(one('at')!, reading.zone, reading.now);
  if (flags.has('risk')) result.risk = oneOf(one('risk'), RISKS, '--risk');
  for (const name of ['title', 'model', 'waves', 'rollback', 'tests', 'description'] as const) if (flags.has(name)) result[name] = one(name);
  if (flags.has('training')) result.training = trainingFlag(flags.get('training')!);
  return result;
}

/** Parses the text after `/release`. Throws CommandError with a helpful message. */
export function parseReleaseCommand(text: string, reading: CommandReading): ReleaseCommand {
  if (text.length > MAX_LENGTH) throw new CommandError(`That command is ${text.length} characters long; /release takes at most ${MAX_LENGTH}.`);
  const tokens = tokenize(text.trim());
  const [verbToken, ...rest] = tokens;
  const verb = (verbToken ?? 'help').toLowerCase();
  const restText = (n: number) => rest.slice(n).join(' ').trim();
  switch (verb) {
    case 'help':
    case '?':
      return { verb: 'help' };
    case 'new':
    case 'plan': {
      const { positional, flags } = parseFlags(rest, PLAN_FLAG_NAMES);
      if (positional.length > 2) throw new CommandError('`new` takes a service and a version; put a title in quotes: `--title "Faster checkout"`.');
      return { verb: 'new', service: positional[0]?.toLowerCase(), version: positional[1], ...planFlags(flags, reading) };
    }
    case 'edit': {
      const { positional, flags } = parseFlags(rest, [...PLAN_FLAG_NAMES, 'version']);
      const id = releaseId(positional[0], 'edit', 'edit REL-12 [--rollback "…"] [--tests "…"]');
      if (positional.length > 1) throw new CommandError('`edit` takes a release and options, like `/release edit REL-12 --tests "CI run 812 green"`; put text in quotes.');
      return { verb: 'edit', id, ...(flags.has('version') ? { version: flags.get('version')![0] } : {}), ...planFlags(flags, reading) };
    }
    case 'submit':
      return { verb: 'submit', id: releaseId(rest[0], 'submit', 'submit REL-12') };
    case 'approve':
      return { verb: 'approve', id: releaseId(rest[0], 'approve', 'approve REL-12 [comment]'), comment: restText(1) || null };
    case 'reject': {
      const id = releaseId(rest[0], 'reject', 'reject REL-12 <reason>');
      if (!restText(1)) throw new CommandError('`reject` needs a reason: `/release reject REL-12 the rollback plan is missing a step`.');
      return { verb: 'reject', id, reason: restText(1) };
    }
    case 'cancel':
      return { verb: 'cancel', id: releaseId(rest[0], 'cancel', 'cancel REL-12 [reason]'), reason: restText(1) };
    case 'list': {
      const { positional, flags } = parseFlags(rest, ['state']);
      return { verb: 'list', service: positional[0]?.toLowerCase(), state: flags.has('state') ? oneOf(flags.get('state')![0], RELEASE_STATES, '--state') : undefined };
    }
    case 'show':
      return { verb: 'show', id: releaseId(rest[0], 'show', 'show REL-12') };
    case 'schedule': {
      const id = releaseId(rest[0], 'schedule', 'schedule REL-12 tomorrow 10:00');
      if (!restText(1)) throw new CommandError('`schedule` needs a time: `/release schedule REL-12 tomorrow 10:00` (or `+2h`, `mon 09:00`, `YYYY-MM-DD HH:mm`).');
      return { verb: 'schedule', id, at: parseWhen(restText(1), reading.zone, reading.now) };
    }
    case 'policy':
      return { verb: 'policy', service: rest[0]?.toLowerCase() };
    case 'start':
    case 'pause':
    case 'resume':
    case 'retry':
    case 'continue':
      return { verb, id: releaseId(rest[0], verb, `${verb} REL-12`) };
    case 'abort':
    case 'rollback': {
      const id = releaseId(rest[0], verb, `${verb} REL-12 <reason>`);
      if (!restText(1)) throw new CommandError(`\`${verb}\` needs a reason: \`/release ${verb} REL-12 error rate doubled in eu-1\`.`);
      return { verb, id, reason: restText(1) };
    }
    case 'calendar': {
      const days = rest[0] === undefined ? 14 : Number(rest[0].replace(/d$/i, ''));
      if (!Number.isInteger(days) || days < 1 || days > 90) throw new CommandError('`calendar` takes a number of days from 1 to 90: `/release calendar 30`.');
      return { verb: 'calendar', days };
    }
    case 'where':
      if (!rest[0]) throw new CommandError('`where` needs a service: `/release where payments`.');
      return { verb: 'where', service: rest[0].toLowerCase() };
    case 'incident': {
      const id = releaseId(rest[0], 'incident', 'incident REL-12 <ticket or text>');
      if (!restText(1)) throw new CommandError('`incident` needs the incident: a Jira key or a few words, like `/release incident REL-12 INC-42` or `/release incident REL-12 checkout errors in eu-1`.');
      return { verb: 'incident', id, ref: restText(1) };
    }
    case 'audit':
      return rest[0] ? { verb: 'audit', id: releaseId(rest[0], 'audit', 'audit [REL-12]') } : { verb: 'audit' };
    default:
      throw new CommandError(`I don't know \`${fragment(verb, 30)}\`. Try \`/release help\`.`);
  }
}
