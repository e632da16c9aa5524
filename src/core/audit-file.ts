import { createHash } from 'node:crypto';
import { z } from 'zod';
import { auditHash, chainKey, GENESIS_HASH, type AuditEntry } from './audit.ts';

/**
 * The audit log as NDJSON, for auditors: a header line, one line per entry in sequence order (with its
 * chain, the previous entry's hash and its own), and a last line with every chain's head and the count.
 * Anyone can re-check such a file offline (`verifyAuditLines`, `npx relm audit verify FILE`): each hash
 * is recomputed from the entry's content and the hash before it, so a changed, removed, moved or added
 * entry, or a cut-off file, is found and named by its line.
 */
export const AUDIT_FILE_FORMAT = 'relm-audit-log';
export const AUDIT_FILE_VERSION = 1;

/** What an export wrote, to be kept apart from the file: the closing line's digest vouches for the heads. */
export interface AuditExportSummary {
  entries: number;
  chains: number;
  headsDigest: string;
}

/**
 * The digest of an export's closing line (its chain heads and count). The file alone cannot prove that
 * nothing was cut from the end of a chain: whoever removes a chain's last entries can write the heads
 * line again to match. Kept elsewhere (the audit ticket, the auditor's notes), this digest can.
 */
export function auditHeadsDigest(closingLine: string): string {
  return `sha256:${createHash('sha256').update(closingLine.replace(/\r?\n$/, '')).digest('hex')}`;
}

/** The export's lines, one entry at a time: nothing is held but the chain heads. */
export async function* auditFileLines(entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>, header: Record<string, unknown> = {}, done?: (summary: AuditExportSummary) => void): AsyncGenerator<string> {
  yield `${JSON.stringify({ format: AUDIT_FILE_FORMAT, version: AUDIT_FILE_VERSION, ...header })}\n`;
  const heads: Record<string, string> = {};
  let count = 0;
  for await (const entry of entries) {
    const chain = chainKey(entry);
    heads[chain] = entry.hash;
    count++;
    yield `${JSON.stringify({ seq: entry.seq, chain, releaseId: entry.releaseId, actor: entry.actor, action: entry.action, before: entry.before ?? null, after: entry.after ?? null, at: entry.at.toISOString(), prevHash: entry.prevHash, hash: entry.hash })}\n`;
  }
  const closing = JSON.stringify({ heads, entries: count });
  done?.({ entries: count, chains: Object.keys(heads).length, headsDigest: auditHeadsDigest(closing) });
  yield `${closing}\n`;
}

const hash = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hex digest');
const EntryLine = z.strictObject({
  seq: z.number().int().positive(),
  chain: z.string(),
  releaseId: z.number().int().positive().nullable(),
  actor: z.string(),
  action: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  at: z.iso.datetime(),
  prevHash: hash,
  hash,
});
const HeadsLine = z.strictObject({ heads: z.record(z.string(), hash), entries: z.number().int().min(0) });
const HeaderLine = z.looseObject({ format: z.literal(AUDIT_FILE_FORMAT), version: z.literal(AUDIT_FILE_VERSION) });

export type AuditFileCheck =
  | { ok: true; entries: number; chains: number; lastSeq: number; headsDigest: string }
  | { ok: false; line: number; seq?: number; reason: string; entries: number };

function problem(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
}

/**
 * Checks an export line by line (a stream, never the whole file): the header, every entry's hash and
 * its link to the previous entry of its chain, the order, and the closing heads and count. Answers with
 * the first line that does not hold and why.
 */
export async function verifyAuditLines(lines: AsyncIterable<string> | Iterable<string>, expect: { headsDigest?: string } = {}): Promise<AuditFileCheck> {
  const heads = new Map<string, string>();
  let lineNo = 0;
  let entries = 0;
  let lastSeq = 0;
  let closed: { line: number; digest: string } | undefined;
  const fail = (reason: string, seq?: number): AuditFileCheck => ({ ok: false, line: lineNo, ...(seq !== undefined ? { seq } : {}), reason, entries });
  for await (const raw of lines) {
    lineNo++;
    const text = raw.replace(/\r$/, '');
    if (closed) {
      if (text.trim() === '') continue;
      return fail(`more after the chain heads on line ${closed.line} (entries were added after the export was closed)`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return fail('not valid JSON (the line was changed or cut)');
    }
    if (lineNo === 1) {
      const header = HeaderLine.safeParse(value);
      if (!header.success) return fail(`not a relm audit export (the first line must say format "${AUDIT_FILE_FORMAT}", version ${AUDIT_FILE_VERSION})`);
      continue;
    }
    if (typeof value === 'object' && value !== null && 'heads' in value) {
      const closing = HeadsLine.safeParse(value);
      if (!closing.success) return fail(`the chain heads line is malformed (${problem(closing.error)})`);
      if (closing.data.entries !== entries) return fail(`the file says ${closing.data.entries} entries but holds ${entries} (entries were removed or added)`);
      const stated = Object.entries(closing.data.heads);
      if (stated.length !== heads.size || stated.some(([chain, head]) => heads.get(chain) !== head)) {
        const wrong = stated.find(([chain, head]) => heads.get(chain) !== head)?.[0] ?? [...heads.keys()].find((chain) => !Object.hasOwn(closing.data.heads, chain));
        return fail(`the chain heads do not match the entries (chain ${wrong ?? '?'}: its last entries were removed, or the heads were changed)`);
      }
      closed = { line: lineNo, digest: auditHeadsDigest(text) };
      continue;
    }
    const parsed = EntryLine.safeParse(value);
    if (!parsed.success) return fail(`not an audit entry (${problem(parsed.error)})`);
    const line = parsed.data;
    entries++;
    const entry: AuditEntry = { seq: line.seq, releaseId: line.releaseId, actor: line.actor, action: line.action, before: line.before ?? null, after: line.after ?? null, at: new Date(line.at), prevHash: line.prevHash, hash: line.hash };
    if (entry.seq <= lastSeq) return fail(`entries are out of order (seq ${entry.seq} after ${lastSeq})`, entry.seq);
    lastSeq = entry.seq;
    const chain = chainKey(entry);
    if (line.chain !== chain) return fail(`the entry names chain ${line.chain} but belongs to ${chain}`, entry.seq);
    if (entry.prevHash !== (heads.get(chain) ?? GENESIS_HASH)) return fail('the link to the previous entry of its chain does not match (an entry was changed, removed or moved)', entry.seq);
    if (auditHash(entry) !== entry.hash) return fail('the content does not match its hash (the entry was changed)', entry.seq);
    heads.set(chain, entry.hash);
  }
  if (lineNo === 0) return { ok: false, line: 0, reason: 'the file is empty', entries: 0 };
  if (!closed) return { ok: false, line: lineNo, reason: 'the file ends before its chain heads (it was cut off)', entries };
  if (expect.headsDigest !== undefined && expect.headsDigest.trim().toLowerCase() !== closed.digest) {
    return { ok: false, line: closed.line, reason: `the chain heads are not the ones the export gave (it gave ${expect.headsDigest.trim()}, the file has ${closed.digest}): the last entries of a chain were removed and the heads written again, or this is another export`, entries };
  }
  return { ok: true, entries, chains: heads.size, lastSeq, headsDigest: closed.digest };
}
