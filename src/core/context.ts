import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.ts';
import type { Directory } from './policy.ts';
import type { Settings } from './settings.ts';

/**
 * Where an effect is performed: most on the effects lane; personal notices, thousands at a time, on a
 * lane of their own that shares Slack's rate limit across every worker process.
 */
export type EffectLane = 'effects' | 'notices';

export interface DispatchOptions {
  lane?: EffectLane;
  /** The rows wait until this moment (their `not_before`), so their jobs are delayed as long. */
  notBefore?: Date;
}

/** Hands outbox rows to whatever performs them (BullMQ in relm); must not throw. */
export interface EffectDispatcher {
  /**
   * One job for the ids, or, given groups, one job per group (each in order, the groups side by side).
   * On the notices lane every row is a job of its own, so a rate limit counts messages.
   */
  dispatch(outboxIds: number[] | number[][], options?: DispatchOptions): Promise<void>;
  /** Removes the jobs of withdrawn rows (a reminder of a start that moved); a job left behind finds its row withdrawn. */
  withdraw?(outboxIds: number[], lane?: EffectLane): Promise<void>;
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
  /** Where timings operators alert on are reported (Prometheus in relm); optional, never awaited. */
  telemetry?: Telemetry;
}

/** Timings the core measures for operators. */
export interface Telemetry {
  /** An effect was performed, `lagMs` after its row was written. */
  effectDone(kind: string, lagMs: number): void;
  /** A rollout step started, `lagMs` after it was due. */
  stepStarted(kind: 'deploy' | 'rollback', lagMs: number): void;
}
