import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../store/schema.ts';
import type { OutboxMessage } from '../effect.ts';
import { bundlesOf } from '../../store/repositories/bundles.ts';

/**
 * Asks the bundle to look at its members again (start the next, pause on a failure, roll back the next
 * in reverse order, finish). Keyed by what happened and when, so a retried tick asks once.
 */
export function bundleSyncEffect(bundleId: number, why: string, at: Date, notBefore?: Date): OutboxMessage {
  return { kind: 'bundle_sync', releaseId: null, dedupeKey: `bundle:sync:${bundleId}:${why}:${at.getTime()}`, payload: { bundleId }, ...(notBefore ? { notBefore } : {}) };
}

/** The bundle's card shows the bundle as it is now: posted once, then updated in place. */
export function bundleCardEffect(bundleId: number, why: string, at: Date): OutboxMessage {
  return { kind: 'bundle_card', releaseId: null, dedupeKey: `bundle:card:${bundleId}:${why}:${at.getTime()}`, payload: { bundleId } };
}

/** The bundle's ticket in Jira follows it (raised at approval); none when Jira is not configured. */
export function bundleTicketEffects(jira: boolean, bundleId: number, why: string, at: Date): OutboxMessage[] {
  return jira ? [{ kind: 'jira_bundle', releaseId: null, dedupeKey: `bundle:jira:${bundleId}:${why}:${at.getTime()}`, payload: { bundleId } }] : [];
}

/** A sync of the bundle this release is in, if it is in one. */
export async function bundleSyncFor(db: Kysely<DB> | Transaction<DB>, releaseId: number, why: string, at: Date): Promise<OutboxMessage[]> {
  const bundleId = (await bundlesOf(db, [releaseId])).get(releaseId);
  return bundleId === undefined ? [] : [bundleSyncEffect(bundleId, `rel-${releaseId}-${why}`, at), bundleCardEffect(bundleId, `rel-${releaseId}-${why}`, at)];
}
