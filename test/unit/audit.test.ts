import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, auditHash, chainKey, verifyChain, type AuditEntry } from '../../src/core/audit.ts';

type Content = Pick<AuditEntry, 'releaseId' | 'actor' | 'action' | 'before' | 'after'>;

/** Builds a correctly linked log from entry contents: each release's entries chain to each other. */
function chain(contents: Content[]): AuditEntry[] {
  const entries: AuditEntry[] = [];
  const heads = new Map<string, string>();
  contents.forEach((content, i) => {
    const prevHash = heads.get(chainKey(content)) ?? GENESIS_HASH;
    const unhashed = { seq: i + 1, at: new Date(Date.UTC(2026, 10, 23, 10, i)), prevHash, ...content };
    const entry = { ...unhashed, hash: auditHash(unhashed) };
    entries.push(entry);
    heads.set(chainKey(content), entry.hash);
  });
  return entries;
}

const LINK = 'link to the previous entry does not match (an entry was changed, removed or moved)';

const sample = () =>
  chain([
    { releaseId: 1, actor: 'U0DEV', action: 'planned', before: null, after: { state: 'draft', version: '1.2.0' } },
    { releaseId: 1, actor: 'U0DEV', action: 'submitted', before: { state: 'draft' }, after: { state: 'submitted' } },
    { releaseId: 1, actor: 'U0APP1', action: 'approved', before: { state: 'submitted' }, after: { state: 'approved' } },
    { releaseId: null, actor: 'system', action: 'config_loaded', before: undefined, after: undefined },
    { releaseId: 1, actor: 'U0DEV', action: 'started', before: { state: 'approved' }, after: { state: 'in_progress' } },
  ]);

async function* streamed<T>(items: T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

describe('auditHash', () => {
  const base = { seq: 1, releaseId: 1, actor: 'U1', action: 'planned', before: null, after: { a: 1, b: 2 }, at: new Date('2026-11-23T10:00:00Z'), prevHash: GENESIS_HASH };

  it('is a 64-character hex sha256 and deterministic', () => {
    expect(auditHash(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(auditHash({ ...base })).toBe(auditHash(base));
  });

  it('does not depend on key order inside before/after', () => {
    expect(auditHash({ ...base, after: { b: 2, a: 1 } })).toBe(auditHash(base));
  });

  it('treats undefined and null before/after alike', () => {
    expect(auditHash({ ...base, before: undefined })).toBe(auditHash(base));
  });

  it.each([
    ['seq', { seq: 2 }],
    ['releaseId', { releaseId: 2 }],
    ['actor', { actor: 'U2' }],
    ['action', { action: 'submitted' }],
    ['before', { before: { state: 'draft' } }],
    ['after', { after: { a: 1, b: 3 } }],
    ['at', { at: new Date('2026-11-23T10:00:01Z') }],
    ['prevHash', { prevHash: 'f'.repeat(64) }],
  ])('changes when %s changes', (_field, change) => {
    expect(auditHash({ ...base, ...change })).not.toBe(auditHash(base));
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and counts its entries', async () => {
    expect(await verifyChain(sample())).toEqual({ ok: true, entries: 5 });
  });

  it('accepts an empty chain', async () => {
    expect(await verifyChain([])).toEqual({ ok: true, entries: 0 });
  });

  it('accepts an async iterable as well as an array', async () => {
    expect(await verifyChain(streamed(sample()))).toEqual({ ok: true, entries: 5 });
    const broken = sample();
    broken[2] = { ...broken[2]!, actor: 'U0MALLORY' };
    expect(await verifyChain(streamed(broken))).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it('detects altered content at the altered entry', async () => {
    const entries = sample();
    entries[2] = { ...entries[2]!, after: { state: 'approved', note: 'edited later' } };
    expect(await verifyChain(entries)).toEqual({ ok: false, entries: 3, brokenAt: 3, reason: 'content does not match its hash' });
  });

  it('detects an altered timestamp', async () => {
    const entries = sample();
    entries[1] = { ...entries[1]!, at: new Date(entries[1]!.at.getTime() - 60_000) };
    expect(await verifyChain(entries)).toMatchObject({ ok: false, brokenAt: 2, reason: 'content does not match its hash' });
  });

  it('detects an altered prevHash', async () => {
    const entries = sample();
    entries[3] = { ...entries[3]!, prevHash: 'a'.repeat(64) };
    expect(await verifyChain(entries)).toEqual({ ok: false, entries: 4, brokenAt: 4, reason: LINK });
  });

  it('keeps one chain per release, so entries of other releases may sit between', async () => {
    const entries = sample();
    expect(entries[4]!.prevHash).toBe(entries[2]!.hash);
    expect(entries[3]!.prevHash).toBe(GENESIS_HASH);
  });

  it('detects a rewritten entry even when its own hash was recomputed, at the next entry', async () => {
    const entries = sample();
    const { hash: _old, ...rest } = entries[1]!;
    const forged = { ...rest, actor: 'U0MALLORY' };
    entries[1] = { ...forged, hash: auditHash(forged) };
    expect(await verifyChain(entries)).toMatchObject({ ok: false, brokenAt: 3, reason: LINK });
  });

  it('detects a missing entry', async () => {
    const entries = sample();
    entries.splice(1, 1);
    expect(await verifyChain(entries)).toEqual({ ok: false, entries: 2, brokenAt: 3, reason: LINK });
  });

  it('detects a missing first entry', async () => {
    expect(await verifyChain(sample().slice(1))).toMatchObject({ ok: false, brokenAt: 2, reason: LINK });
  });

  it('detects reordered entries', async () => {
    const entries = sample();
    [entries[1], entries[2]] = [entries[2]!, entries[1]!];
    expect(await verifyChain(entries)).toMatchObject({ ok: false, entries: 2, brokenAt: 3, reason: LINK });
  });

  it('detects a replayed (duplicated) entry', async () => {
    const entries = sample();
    entries.splice(2, 0, { ...entries[1]! });
    expect(await verifyChain(entries)).toMatchObject({ ok: false, entries: 3, brokenAt: 2, reason: 'entries are out of order' });
  });

  it('detects a chain that does not start from the genesis hash', async () => {
    const entries = sample();
    const { hash: _h, ...first } = entries[0]!;
    const rehashed = { ...first, prevHash: '1'.repeat(64) };
    entries[0] = { ...rehashed, hash: auditHash(rehashed) };
    expect(await verifyChain(entries)).toMatchObject({ ok: false, brokenAt: 1, reason: LINK });
  });
});
