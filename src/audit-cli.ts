import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { DB } from './store/schema.ts';
import { auditChain } from './store/repositories/audit.ts';
import { auditFileLines, verifyAuditLines, type AuditExportSummary, type AuditFileCheck } from './core/audit-file.ts';

/**
 * `relm audit export`: the audit log as NDJSON, streamed page by page (keyset pagination on seq), so
 * memory stays flat however long the log. To a file it is written beside it and renamed when complete,
 * so a failed export never leaves a file that looks whole.
 */
export async function exportAuditLog(db: Kysely<DB>, out: { file?: string; stream?: Writable }, options: { pageSize?: number; now?: Date } = {}): Promise<AuditExportSummary> {
  let summary: AuditExportSummary | undefined;
  const lines = Readable.from(auditFileLines(auditChain(db, options.pageSize ?? 1_000), { exportedAt: (options.now ?? new Date()).toISOString() }, (s) => (summary = s)));
  if (!out.file) {
    await pipeline(lines, out.stream ?? process.stdout, { end: out.stream !== undefined });
    return summary!;
  }
  const partial = `${out.file}.partial`;
  try {
    await pipeline(lines, createWriteStream(partial));
    await rename(partial, out.file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return summary!;
}

/** What the exporter is told to keep apart from the file, and how it is used. */
export function describeAuditExport(target: string, summary: AuditExportSummary): string {
  return `relm: wrote ${summary.entries} audit entr${summary.entries === 1 ? 'y' : 'ies'} in ${summary.chains} chain${summary.chains === 1 ? '' : 's'} to ${target}.\nheads ${summary.headsDigest}\nKeep this digest apart from the file (in the audit ticket, say): \`relm audit verify FILE --heads ${summary.headsDigest}\` then also proves that no entry was cut from the end of a chain.`;
}

/** `relm audit verify FILE [--heads sha256:…]`: checks an export offline, line by line. */
export async function verifyAuditFile(file: string, expect: { headsDigest?: string } = {}): Promise<AuditFileCheck> {
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    return await verifyAuditLines(lines, expect);
  } finally {
    lines.close();
    input.destroy();
  }
}

/** The verdict as a person reads it. */
export function describeAuditCheck(file: string, check: AuditFileCheck, checkedHeads = false): string {
  if (check.ok) return `${file}: OK. ${check.entries} entr${check.entries === 1 ? 'y' : 'ies'} in ${check.chains} chain${check.chains === 1 ? '' : 's'} (last seq ${check.lastSeq}); every hash, link and chain head holds. Heads ${check.headsDigest}${checkedHeads ? ', as the export gave them.' : ': compare it with the digest the export printed (or pass it as --heads), as only that proves no entry was cut from the end of a chain.'}`;
  return `${file}: BROKEN at line ${check.line}${check.seq !== undefined ? ` (seq ${check.seq})` : ''}: ${check.reason}. ${check.entries} entr${check.entries === 1 ? 'y' : 'ies'} read before it.`;
}
