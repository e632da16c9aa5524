import type { z } from 'zod';
import type { CoreContext, EffectLane } from '../context.ts';
import type { EffectPorts } from '../ports/effect-ports.ts';

/** What an effect kind is, as data the dispatcher and the queries read (never its name's prefix). */
export interface EffectTraits {
  /**
   * Effects of one release in the same ordered group are made in the order written: a change ticket's
   * workflow goes one step at a time (Approved before Implementing).
   */
  orderedGroup?: 'change_ticket';
  /** The outside system it keeps in step: a refusal shows on the card and in `show`, a pending one as "sync pending". */
  syncs?: 'jira' | 'github';
  /** Performed on this lane (default `effects`); see EffectLane. */
  lane?: EffectLane;
}

/** One attempt at one outbox row. */
export interface EffectAttempt {
  outboxId: number;
  /** The row's unique key, which the side effect carries so a retry finds what an earlier attempt did. */
  key: string;
  /** An earlier attempt may have done the work: look before doing it again. */
  retry: boolean;
}

/** One kind (or a few kinds sharing one way of doing) of side effect relm performs after commit. */
export interface EffectDefinition<K extends string, P> {
  kinds: readonly K[];
  payload: z.ZodType<P>;
  traits: EffectTraits;
  perform(ctx: CoreContext, ports: EffectPorts, kind: K, payload: P, attempt: EffectAttempt): Promise<Record<string, unknown>>;
}

/** Keeps each definition's kinds and payload type while the registry lists them together. */
export function effect<K extends string, P>(definition: EffectDefinition<K, P>): EffectDefinition<K, P> {
  return definition;
}
