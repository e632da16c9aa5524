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

/** Each release has its own chain (entries without a release share one), so writers of different releases never wait on each other. */
export function chainKey(entry: Pick<AuditEntry, 'releaseId'>): string {
  return entry.releaseId === null ? 'global' : `release:${entry.releaseId}`;
}

/**
 * Walks the log in sequence order and reports the first entry whose hash or link does not hold. Every
 * entry links to the previous entry of its own chain, so changing, removing or reordering an entry
 * breaks its chain from that point on.
 */
export async function verifyChain(entries: Iterable<AuditEntry> | AsyncIterable<AuditEntry>): Promise<ChainCheck> {
  const heads = new Map<string, string>();
  let lastSeq = 0;
  let count = 0;
  for await (const entry of entries) {
    count++;
    if (entry.seq <= lastSeq) return { ok: false, entries: count, brokenAt: entry.seq, reason: 'entries are out of order' };
    lastSeq = entry.seq;
    const key = chainKey(entry);
    if (entry.prevHash !== (heads.get(key) ?? GENESIS_HASH)) return { ok: false, entries: count, brokenAt: entry.seq, reason: 'link to the previous entry does not match (an entry was changed, removed or moved)' };
    if (auditHash(entry) !== entry.hash) return { ok: false, entries: count, brokenAt: entry.seq, reason: 'content does not match its hash' };
    heads.set(key, entry.hash);
  }
  return { ok: true, entries: count };
}
