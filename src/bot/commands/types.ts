import type { ReleaseState, ReleaseType, Risk } from '../../core/release.ts';
import type { Settings } from '../../core/settings.ts';
import type { KnownBlock } from '@slack/types';
import type { BotDeps } from '../deps.ts';

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
  impact?: string;
  /** Why the stated risk is lower than relm's assessment (shown to approvers). */
  riskReason?: string;
  /** A Slack channel (C…/G…) or user (U…/W…) id; null clears it. */
  contact?: string | null;
}

/** A `/release` command, parsed and validated; each verb's spec runs one use case for it. */
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
  | { verb: 'start' | 'pause' | 'resume' | 'retry' | 'continue'; id: number; force?: boolean }
  | { verb: 'abort' | 'rollback'; id: number; reason: string }
  | { verb: 'calendar'; days: number }
  | { verb: 'where'; service: string }
  | { verb: 'incident'; id: number; ref: string; resolve?: true }
  | { verb: 'audit'; id?: number }
  | { verb: 'mute' | 'unmute'; service: string }
  | { verb: 'review'; id: number }
  | { verb: 'lessons'; words: string }
  | { verb: 'lock'; service: string; words: string[]; durationMs?: number }
  | { verb: 'unlock'; service: string; targets: string[] }
  | { verb: 'locks'; service?: string }
  | { verb: 'whoami' }
  | { verb: 'kpi'; words: string }
  | { verb: 'bundle'; action: 'new'; name: string; at?: Date }
  | { verb: 'bundle'; action: 'add' | 'remove' | 'show' | 'approve' | 'start' | 'retry' | 'continue'; id: number; members: number[] }
  | { verb: 'bundle'; action: 'rollback'; id: number; reason: string }
  | { verb: 'bundle'; action: 'order'; id: number; release: number; after: number };

export type Verb = ReleaseCommand['verb'];

/** A command's ephemeral answer: text, or Block Kit with its text fallback; null when a modal answers instead. */
export type CommandAnswer = string | { text: string; blocks: KnownBlock[] } | null;
export type CommandOf<V extends Verb> = Extract<ReleaseCommand, { verb: V }>;

/** What a command is read against: the typing user's timezone and the moment it was typed. */
export interface CommandReading {
  zone: string;
  now: Date;
}

export interface CommandCaller {
  user: string;
  channel: string;
  triggerId: string;
}

/** Names from this relm.yml, so help's examples are ones the reader can run. */
export interface HelpExamples {
  service: string;
  model: string;
  waves: string;
  settings: Settings;
}

/**
 * One `/release` verb, whole: how it is written, what help says of it, how its words are read, and
 * what it does. Adding a verb is one file with one of these and one line in `verbs/index.ts`.
 */
export interface VerbSpec<V extends Verb = Verb> {
  /** The words that name it; the first is the verb, the rest are aliases. */
  names: readonly string[];
  /** The verbs a spec's `parse` may return (one spec serves `start`, `pause`, … alike). */
  verbs: readonly V[];
  /** Help's line(s) for it, with examples from this relm.yml. */
  help(examples: HelpExamples): string;
  parse(name: string, args: string[], reading: CommandReading): CommandOf<V>;
  /** True when these words hold a time the typing user wrote, to be read in their own timezone. */
  readsTime?(args: string[]): boolean;
  /** Runs it; the ephemeral answer, or null when a modal answers instead. */
  run(deps: BotDeps, caller: CommandCaller, command: CommandOf<V>): Promise<CommandAnswer>;
}

/** Keeps each spec's verb types while collecting them in one list. */
export function verb<V extends Verb>(spec: VerbSpec<V>): VerbSpec<V> {
  return spec;
}
