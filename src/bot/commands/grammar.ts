import { DateTime } from 'luxon';
import { fragment } from '../../core/text.ts';
import { RELEASE_STATES, RELEASE_TYPES, RISKS, parseReleaseKey, type ReleaseState, type ReleaseType, type Risk } from '../../core/release.ts';

/** A `/release` command, parsed and validated; the bot maps each to one use case. */
export type ReleaseCommand =
  | { verb: 'help' }
  | { verb: 'new'; service?: string; version?: string; type?: ReleaseType; at?: Date; title?: string; risk?: Risk; model?: string; waves?: string }
  | { verb: 'edit'; id: number }
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

/** A command that could not be understood; `message` says how to write it. */
export class CommandError extends Error {
  override name = 'CommandError';
}

const MAX_LENGTH = 4_000;

/** Splits on spaces, keeping "quoted text" (straight or curly quotes) together. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const pattern = /"([^"]*)"|“([^”]*)”|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) tokens.push(match[1] ?? match[2] ?? match[3] ?? match[4] ?? '');
  return tokens;
}

/** Parses "2026-12-01T10:00", a full ISO 8601 time, or "2026-12-01 10:00" in `zone`. */
export function parseWhen(text: string, zone: string): Date {
  const trimmed = text.trim();
  let parsed = DateTime.fromISO(trimmed, { zone });
  if (!parsed.isValid) parsed = DateTime.fromFormat(trimmed, 'yyyy-MM-dd HH:mm', { zone });
  if (!parsed.isValid || !/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    throw new CommandError(`"${fragment(trimmed, 40)}" is not a time: write 2026-12-01T10:00 or "2026-12-01 10:00" (${zone}), or a full ISO 8601 time with an offset.`);
  }
  return parsed.toJSDate();
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

function parseFlags(tokens: string[], allowed: string[]): { positional: string[]; flags: Map<string, string> } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!token.startsWith('--')) {
      positional.push(token);
      continue;
    }
    const body = token.slice(2);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (!allowed.includes(name)) throw new CommandError(`Unknown option \`--${fragment(name, 30)}\`. Options here: ${allowed.map((a) => `--${a}`).join(', ')}.`);
    const value = inline ?? tokens[++i];
    if (value === undefined || value.startsWith('--')) throw new CommandError(`\`--${name}\` needs a value.`);
    flags.set(name, value);
  }
  return { positional, flags };
}

/** Parses the text after `/release`. Throws CommandError with a helpful message. */
export function parseReleaseCommand(text: string, zone: string): ReleaseCommand {
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
      const { positional, flags } = parseFlags(rest, ['type', 'at', 'title', 'risk', 'model', 'waves']);
      if (positional.length > 2) throw new CommandError('`new` takes a service and a version; put a title in quotes: `--title "Faster checkout"`.');
      return {
        verb: 'new',
        service: positional[0]?.toLowerCase(),
        version: positional[1],
        type: flags.has('type') ? oneOf(flags.get('type'), RELEASE_TYPES, '--type') : undefined,
        at: flags.has('at') ? parseWhen(flags.get('at')!, zone) : undefined,
        title: flags.get('title'),
        risk: flags.has('risk') ? oneOf(flags.get('risk'), RISKS, '--risk') : undefined,
        model: flags.get('model'),
        waves: flags.get('waves'),
      };
    }
    case 'edit':
      return { verb: 'edit', id: releaseId(rest[0], 'edit', 'edit REL-12') };
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
      return { verb: 'list', service: positional[0]?.toLowerCase(), state: flags.has('state') ? oneOf(flags.get('state'), RELEASE_STATES, '--state') : undefined };
    }
    case 'show':
      return { verb: 'show', id: releaseId(rest[0], 'show', 'show REL-12') };
    case 'schedule': {
      const id = releaseId(rest[0], 'schedule', 'schedule REL-12 2026-12-01T10:00');
      if (!restText(1)) throw new CommandError('`schedule` needs a time: `/release schedule REL-12 "2026-12-01 10:00"`.');
      return { verb: 'schedule', id, at: parseWhen(restText(1), zone) };
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
