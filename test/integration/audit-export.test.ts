import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, migrateToLatest, type Database } from '../../src/store/database.ts';
import { appendAuditEntries, auditChain } from '../../src/store/repositories/audit.ts';
import { verifyChain, type AuditEntry } from '../../src/core/audit.ts';
import { exportAuditLog, verifyAuditFile } from '../../src/audit-cli.ts';
import { verifyAuditLines } from '../../src/core/audit-file.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { clockEnv } from '../support/process-env.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'relm-audit-'));
let db: Database;
let url: string;
let drop: () => Promise<void>;

beforeAll(async () => {
  const database = await createTestDatabase();
  url = database.url;
  drop = database.drop;
  db = createDatabase({ url, dataDir: '' });
  await migrateToLatest(db);
  const at = new Date('2026-11-20T09:00:00.000Z');
  // 25 entries over three chains (two releases and the global one), written in batches as relm does.
  for (let i = 0; i < 5; i++) {
    await db.transaction().execute((trx) =>
      appendAuditEntries(trx, [
        { releaseId: 1, actor: 'U0DEV', action: 'planned', after: { state: 'draft', title: `Checkout "fast" #${i}`, note: 'ünïcode ✓' }, at: new Date(at.getTime() + i * 60_000) },
        { releaseId: 2, actor: 'U0RM', action: 'approved', before: { state: 'submitted' }, after: { state: 'approved', n: i }, at: new Date(at.getTime() + i * 60_000 + 1) },
        { releaseId: null, actor: 'relm', action: 'unauthorised_version', after: { service: 'payments', version: `9.${i}.0` }, at: new Date(at.getTime() + i * 60_000 + 2) },
        { releaseId: 1, actor: 'relm', action: 'wave_started', after: { wave: 'canary', try: i + 1 }, at: new Date(at.getTime() + i * 60_000 + 3) },
        { releaseId: 2, actor: 'U0INST', action: 'checklist_ticked', after: { item: 'Deploy <eu-1> & check' }, at: new Date(at.getTime() + i * 60_000 + 4) },
      ]),
    );
  }
});

afterAll(async () => {
  await db?.destroy();
  await drop?.();
});

function relm(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/relm.js', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: url, LOG_LEVEL: 'error', ...clockEnv() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** The file with one byte of line `lineNo` (1-based) replaced. */
function alteredCopy(file: string, lineNo: number, at: (line: string) => number, name: string): string {
  const bytes = readFileSync(file);
  let start = 0;
  for (let n = 1; n < lineNo; n++) start = bytes.indexOf(0x0a, start) + 1;
  const line = bytes.subarray(start, bytes.indexOf(0x0a, start)).toString('latin1');
  const offset = start + at(line);
  const copy = Buffer.from(bytes);
  copy[offset] = copy[offset] === 0x61 ? 0x62 : 0x61; // an "a" becomes "b", anything else an "a"
  const out = join(dir, name);
  writeFileSync(out, copy);
  return out;
}

describe('npx relm audit export / verify', () => {
  it('exports every entry with its chain, hashes and the chain heads, page by page, and the file verifies', async () => {
    const file = join(dir, 'audit.ndjson');
    const summary = await exportAuditLog(db, { file }, { pageSize: 4, now: new Date('2026-11-21T00:00:00Z') });
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ format: 'relm-audit-log', version: 1, exportedAt: '2026-11-21T00:00:00.000Z' });
    const entries = lines.slice(1, -1);
    expect(entries).toHaveLength(25);
    expect(entries.map((e) => e.seq)).toEqual([...entries.map((e) => e.seq)].sort((a, b) => a - b));
    expect(new Set(entries.map((e) => e.chain))).toEqual(new Set(['release:1', 'release:2', 'global']));
    expect(entries[0]).toMatchObject({ chain: 'release:1', actor: 'U0DEV', action: 'planned', prevHash: '0'.repeat(64) });
    const rows = await db.selectFrom('audit_log').select(['release_id', 'hash']).orderBy('seq', 'desc').execute();
    const head = (releaseId: number | null) => rows.find((r) => r.release_id === releaseId)!.hash;
    expect(lines.at(-1)).toEqual({ heads: { 'release:1': head(1), 'release:2': head(2), global: head(null) }, entries: 25 });
    // The digest the exporter keeps apart from the file is the closing line's.
    const closing = readFileSync(file, 'utf8').trimEnd().split('\n').at(-1)!;
    expect(summary).toEqual({ entries: 25, chains: 3, headsDigest: `sha256:${createHash('sha256').update(closing).digest('hex')}` });
    expect(await verifyAuditFile(file)).toEqual({ ok: true, entries: 25, chains: 3, lastSeq: entries.at(-1).seq, headsDigest: summary.headsDigest });
    expect(await verifyAuditFile(file, { headsDigest: summary.headsDigest })).toMatchObject({ ok: true });
    expect(existsSync(`${file}.partial`)).toBe(false);
  });

  it('cannot tell from the file alone that a chain’s last entries were cut and its head written again, but --heads can', async () => {
    const file = join(dir, 'audit-cut.ndjson');
    const { headsDigest } = await exportAuditLog(db, { file });
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    // Release 2's last entry goes; its head becomes the entry before it, and the count one less: no
    // hash needs computing, only copying.
    const entries = lines.slice(1, -1).map((l) => JSON.parse(l));
    const ofTwo = entries.filter((e) => e.chain === 'release:2');
    const closing = JSON.parse(lines.at(-1)!);
    const forged = [lines[0]!, ...lines.slice(1, -1).filter((l) => JSON.parse(l).seq !== ofTwo.at(-1).seq), JSON.stringify({ heads: { ...closing.heads, 'release:2': ofTwo.at(-2).hash }, entries: closing.entries - 1 })];
    const cut = join(dir, 'audit-cut-forged.ndjson');
    writeFileSync(cut, `${forged.join('\n')}\n`);
    expect(await verifyAuditFile(cut)).toMatchObject({ ok: true, entries: 24 });
    const checked = await verifyAuditFile(cut, { headsDigest });
    expect(checked).toMatchObject({ ok: false, line: 26 });
    expect(checked.ok === false && checked.reason).toContain(`the chain heads are not the ones the export gave (it gave ${headsDigest}`);
  });

  it('writes to a stream (stdout) when no file is given', async () => {
    const sink = new PassThrough();
    let text = '';
    sink.on('data', (d) => (text += d));
    await exportAuditLog(db, { stream: sink }, { pageSize: 7 });
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(27);
    expect(await verifyAuditLines(lines)).toMatchObject({ ok: true, entries: 25 });
  });

  it('names the first broken line of a file with one byte altered, a line removed, or its end cut off', async () => {
    const file = join(dir, 'audit.ndjson');
    // Line 8 is the 7th entry; its actor, its hash, a number in its content.
    const actor = alteredCopy(file, 8, (l) => l.indexOf('"actor":"') + 10, 'actor.ndjson');
    expect(await verifyAuditFile(actor)).toMatchObject({ ok: false, line: 8, reason: expect.stringContaining('does not match its hash') });
    const hash = alteredCopy(file, 8, (l) => l.indexOf('"hash":"') + 20, 'hash.ndjson');
    expect(await verifyAuditFile(hash)).toMatchObject({ ok: false, line: 8 });
    const structure = alteredCopy(file, 12, (l) => l.indexOf(',"actor"'), 'json.ndjson');
    expect(await verifyAuditFile(structure)).toMatchObject({ ok: false, line: 12, reason: expect.stringContaining('not valid JSON') });
    const heads = alteredCopy(file, 27, (l) => l.indexOf('"global":"') + 11, 'heads.ndjson');
    expect(await verifyAuditFile(heads)).toMatchObject({ ok: false, line: 27, reason: expect.stringContaining('chain heads do not match') });

    const all = readFileSync(file, 'utf8').split('\n');
    const removed = join(dir, 'removed.ndjson');
    writeFileSync(removed, [...all.slice(0, 5), ...all.slice(6)].join('\n'));
    // Line 6 (an entry of release 1) is gone: the next entry of its chain no longer links up (or the count is off).
    const check = await verifyAuditFile(removed);
    expect(check.ok).toBe(false);
    const cut = join(dir, 'cut.ndjson');
    writeFileSync(cut, `${all.slice(0, 20).join('\n')}\n`);
    expect(await verifyAuditFile(cut)).toMatchObject({ ok: false, line: 20, reason: expect.stringContaining('cut off') });
  });

  // Three relm processes, each loading relm's sources: slow on a loaded machine, so a generous timeout.
  it('runs as the CLI: export to a file, verify exits 0 with a summary, and 1 naming the line of an altered byte', { timeout: 120_000 }, async () => {
    const file = join(dir, 'cli.ndjson');
    const exported = await relm(['audit', 'export', '--out', file]);
    expect(exported.code).toBe(0);
    expect(exported.out).toContain(`wrote 25 audit entries in 3 chains to ${file}`);
    const digest = /^heads (sha256:[0-9a-f]{64})$/m.exec(exported.out)?.[1];
    expect(digest, exported.out).toBeDefined();
    const ok = await relm(['audit', 'verify', file]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`${file}: OK. 25 entries in 3 chains`);
    expect(ok.out).toContain(`Heads ${digest}: compare it with the digest the export printed`);
    const vouched = await relm(['audit', 'verify', file, '--heads', digest!]);
    expect(vouched.code).toBe(0);
    expect(vouched.out).toContain(`Heads ${digest}, as the export gave them.`);
    const other = await relm(['audit', 'verify', '--heads', `sha256:${'0'.repeat(64)}`, file]);
    expect(other.code).toBe(1);
    expect(other.out).toContain('the chain heads are not the ones the export gave');
    const altered = alteredCopy(file, 15, (l) => l.indexOf('"action":"') + 11, 'cli-altered.ndjson');
    const broken = await relm(['audit', 'verify', altered]);
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/BROKEN at line 15 \(seq \d+\): the content does not match its hash/);
  });

  // Last: it adds entries the tests above do not expect.
  it('reads the log as one snapshot while relm writes: an entry still in flight and the next of its chain are both left out, never one of them', async () => {
    const at = new Date('2026-11-20T10:00:00.000Z');
    // REL-7's entry draws its seq, then waits to commit while REL-8's later seqs commit.
    const slow = await db.startTransaction().execute();
    const [inFlight] = await appendAuditEntries(slow, [{ releaseId: 7, actor: 'U0DEV', action: 'planned', at }]);
    const later = await db.transaction().execute((trx) => appendAuditEntries(trx, [1, 2, 3].map((n) => ({ releaseId: 8, actor: 'U0DEV', action: `step_${n}`, at: new Date(at.getTime() + n) }))));
    expect(later[0]!.seq).toBeGreaterThan(inFlight!.seq);

    // Read in pages of two; between two pages, REL-7's entry commits and the next one joins its chain.
    const read: AuditEntry[] = [];
    let next: AuditEntry | undefined;
    for await (const entry of auditChain(db, 2)) {
      read.push(entry);
      if (entry.seq !== later[0]!.seq) continue;
      await slow.commit().execute();
      [next] = await db.transaction().execute((trx) => appendAuditEntries(trx, [{ releaseId: 7, actor: 'U0RM', action: 'submitted', at: new Date(at.getTime() + 10) }]));
    }
    expect(next!.prevHash).toBe(inFlight!.hash);
    const seqs = read.map((e) => e.seq);
    expect(seqs).not.toContain(inFlight!.seq);
    expect(seqs).not.toContain(next!.seq);
    expect(await verifyChain(read)).toEqual({ ok: true, entries: 25 + 3 });
    // A read begun now sees both.
    const whole: AuditEntry[] = [];
    for await (const entry of auditChain(db, 2)) whole.push(entry);
    expect(await verifyChain(whole)).toEqual({ ok: true, entries: 25 + 3 + 2 });
  });
});
