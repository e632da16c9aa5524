// bench:audit — the audit export and its offline verification on a long log: N entries (default
// 100,000) over many chains are written as relm writes them (hash-chained, in batches), then
// `relm audit export` streams them to a file and `relm audit verify` re-checks it. Prints the time and
// the peak RSS of each; run with BENCH_ENTRIES=50000 and 400000 to see the memory stay flat.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, migrateToLatest } from '../src/store/database.ts';
import { appendAuditEntries } from '../src/store/repositories/audit.ts';
import { exportAuditLog, verifyAuditFile } from '../src/audit-cli.ts';
import { createTestDatabase } from '../test/support/postgres.ts';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 100_000);
const BATCH = 1_000;

/** Runs `work` while sampling this process's RSS; returns the time taken and the peak above the start. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; peakMiB: number; startMiB: number }> {
  global.gc?.();
  const start = process.memoryUsage().rss;
  let peak = start;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const began = performance.now();
  const value = await work();
  const ms = performance.now() - began;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { value, ms, peakMiB: (peak - start) / 2 ** 20, startMiB: start / 2 ** 20 };
}

const database = await createTestDatabase();
const db = createDatabase({ url: database.url, dataDir: '' });
try {
  await migrateToLatest(db);
  const t0 = performance.now();
  const at = Date.parse('2026-11-01T00:00:00Z');
  for (let done = 0; done < ENTRIES; done += BATCH) {
    await db.transaction().execute((trx) =>
      appendAuditEntries(
        trx,
        Array.from({ length: Math.min(BATCH, ENTRIES - done) }, (_, i) => {
          const n = done + i;
          return { releaseId: n % 10 === 0 ? null : 1 + (n % 500), actor: 'U0DEV', action: 'wave_started', after: { wave: `wave-${n % 3}`, try: 1, note: 'x'.repeat(60) }, at: new Date(at + n * 1_000) };
        }),
      ),
    );
  }
  console.log(`wrote ${ENTRIES} entries in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const file = join(mkdtempSync(join(tmpdir(), 'relm-bench-audit-')), 'audit.ndjson');
  const exported = await measured(() => exportAuditLog(db, { file }));
  console.log(`export: ${ENTRIES} entries, ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB in ${(exported.ms / 1000).toFixed(2)} s (${Math.round(ENTRIES / (exported.ms / 1000))} entries/s), peak RSS +${exported.peakMiB.toFixed(1)} MiB over ${exported.startMiB.toFixed(0)} MiB`);
  const verified = await measured(() => verifyAuditFile(file));
  console.log(`verify: ${JSON.stringify(verified.value)} in ${(verified.ms / 1000).toFixed(2)} s (${Math.round(ENTRIES / (verified.ms / 1000))} entries/s), peak RSS +${verified.peakMiB.toFixed(1)} MiB`);
  if (!verified.value.ok || verified.value.entries !== ENTRIES) process.exitCode = 1;
} finally {
  await db.destroy();
  await database.drop();
}
