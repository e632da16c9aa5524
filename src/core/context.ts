import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.ts';
import type { Directory } from './policy.ts';
import type { Settings } from './settings.ts';

/** Hands outbox rows to whatever performs them (BullMQ in relm); must not throw. */
export interface EffectDispatcher {
  /**
   * One job for the ids, or, given groups, one job per group (each in order, the groups side by side);
   * with `delayMs`, performed no sooner than that (a debounced refresh).
   */
  dispatch(outboxIds: number[] | number[][], options?: { delayMs?: number }): Promise<void>;
}

/** What every use case needs, built once by the composition root. */
export interface CoreContext {
  db: Kysely<DB>;
  settings: Settings;
  directory: Directory;
  effects: EffectDispatcher;
  clock: () => Date;
  /** GitHub releases are kept in step (GITHUB_TOKEN is set). */
  github?: boolean;
  /** Change tickets are kept in Jira (JIRA_HOST and its credentials are set). */
  jira?: boolean;
  /** The window within which a person's App Home is republished once however much changed (10 s by default). */
  homeRefreshMs?: number;
}
