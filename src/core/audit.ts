import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  seq: number;
  releaseId: number | null;
  actor: string;
  action: string;
  before: unknown;
  after: unknown;
  at: Date;
  prevHash: string;
  hash: string;
}

/**
 * The hash of an entry covers its content and the previous entry's hash, so changing, removing or
 * reordering any entry breaks every hash after it.
 */
export function auditHash(entry: Omit<AuditEntry, 'hash'>): string {
  const body = stringify({
    seq: entry.seq,
    releaseId: entry.releaseId,
    actor: entry.actor,
    action: entry.action,
    before: entry.before ?? null,
    after: entry.after ?? null,
    at: entry.at.toISOString(),
  });
  return createHash('sha256').update(`${entry.prevHash}\n${body}`).digest('hex');
}

export type ChainCheck = { ok: true; entries: number } | { ok: false; entries: number; brokenAt: number; reason: string };

/** Walks the chain in order and reports the first entry whose hash or link does not hold. */
export async function verifyChain(entries: Iterable<AuditEntry> | AsyncIterable<AuditEntry>): Promise<ChainCheck> {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for await (const entry of entries) {
    count++;
    if (entry.seq !== expectedSeq) return { ok: false, entries: count, brokenAt: entry.seq, reason: `entry ${expectedSeq} is missing` };
    if (entry.prevHash !== prev) return { ok: false, entries: count, brokenAt: entry.seq, reason: 'link to the previous entry does not match' };
    if (auditHash(entry) !== entry.hash) return { ok: false, entries: count, brokenAt: entry.seq, reason: 'content does not match its hash' };
    prev = entry.hash;
    expectedSeq++;
  }
  return { ok: true, entries: count };
}
