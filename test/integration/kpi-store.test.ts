import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/store.ts';
import type { Database } from '../../src/store/database.ts';
import { insertRelease } from '../../src/store/repositories/releases.ts';
import { insertIncident } from '../../src/store/repositories/incidents.ts';
import { loadRelmFile } from '../../src/config/relm-file.ts';
import { figure } from '../../src/core/kpi/definitions.ts';
import { kpiReport } from '../../src/core/usecases/kpi.ts';
import { FIXTURE_CONFIG } from '../support/harness.ts';
import { kpiExport } from '../../src/report-cli.ts';
import { parse as parseCsv } from 'csv-parse/sync';

const at = (day: number, hour = 12) => new Date(Date.UTC(2026, 10, day, hour));

function row(version: string, state: string, finished: Date, o: { type?: string; planned?: Date; started?: Date; reschedules?: number } = {}) {
  const planned = o.planned ?? new Date(finished.getTime() - 3_600_000);
  return {
    service: 'payments', version, type: o.type ?? 'minor', title: version, description: '', risk: 'low', planned_start: planned,
    deployment_model: 'two-waves', rollback_plan: 'redeploy', test_evidence: 'ci', training_needed: false, requester: 'U0DEV', state,
    card_channel: null, card_ts: null, created_at: new Date(planned.getTime() - 86_400_000), updated_at: finished,
    submitted_at: new Date(planned.getTime() - 43_200_000), approved_at: new Date(planned.getTime() - 7_200_000),
    started_at: o.started ?? planned, finished_at: finished, reschedule_count: o.reschedules ?? 0,
  };
}

describe.each(['postgres', 'pglite'] as const)('KPIs on a hand-built history on %s', (kind) => {
  let db: Database;
  let drop: (() => Promise<void>) | undefined;
  const settings = loadRelmFile(FIXTURE_CONFIG).settings;

  beforeAll(async () => {
    ({ db, drop } = await openTestStore(kind));
    // Period [Nov 11, Nov 21): on schedule; rescheduled; rolled-back emergency with an incident.
    await insertRelease(db, row('1.0.0', 'completed', at(12)));
    await insertRelease(db, row('1.1.0', 'completed', at(13), { reschedules: 1 }));
    const rolled = await insertRelease(db, row('1.2.0', 'rolled_back', at(14), { type: 'emergency' }));
    await insertIncident(db, rolled.id, { ref: 'INC-1', source: 'slack', recordedBy: 'U0DEV', recordedAt: at(14) });
    // On the boundary: ends exactly at `to`, so it belongs to no period here; one in the previous period.
    await insertRelease(db, row('1.3.0', 'completed', at(21, 0)));
    await insertRelease(db, row('0.9.0', 'completed', at(5)));
    // A version a spreadsheet would run as a formula if it were not escaped.
    await insertRelease(db, row('=HYPERLINK("http://evil")', 'failed', at(15)));
  }, 60_000);

  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  it('counts each release once in its own period', async () => {
    const report = await kpiReport({ db, settings }, { from: at(11, 0), to: at(21, 0), services: ['payments'], label: 'test' });
    // Four ended: on schedule, rescheduled, a rolled-back emergency, a failure.
    expect(figure(report, 'releases')).toMatchObject({ value: 4, previous: 1, direction: 'up' });
    expect(figure(report, 'on_schedule').value).toBeCloseTo(100 / 4);
    expect(figure(report, 'rescheduled_or_delayed').value).toBeCloseTo(100 / 4);
    expect(figure(report, 'backed_out').value).toBeCloseTo(100 / 4);
    expect(figure(report, 'failed').value).toBeCloseTo(100 / 4);
    expect(figure(report, 'emergency_share').value).toBeCloseTo(100 / 4);
    expect(figure(report, 'incidents').value).toBe(1);
    // Rolled back (with its incident) and failed, once each, of four; two completed in ten days.
    expect(figure(report, 'change_failure_rate').value).toBeCloseTo(100 / 2);
    expect(figure(report, 'deployment_frequency').value).toBeCloseTo(2 / 10);
    expect(figure(report, 'on_schedule').previous).toBe(100);
  });

  it('exports the figures and the releases behind them as JSON and as spreadsheet-safe CSV', async () => {
    const options = { from: '2026-11-11', to: '2026-11-20', service: 'payments', now: at(25) };
    const json = JSON.parse(await kpiExport(db, settings, { ...options, format: 'json' }));
    expect(json.releases.map((r: { version: string }) => r.version).sort()).toEqual(['1.0.0', '1.1.0', '1.2.0', '=HYPERLINK("http://evil")']);
    expect(json.report.figures.find((f: { key: string }) => f.key === 'releases').value).toBe(4);

    const csv = await kpiExport(db, settings, { ...options, format: 'csv' });
    const [figures, releases] = csv.split('\n\n');
    const figureRows = parseCsv(figures!, { relaxColumnCount: true }) as string[][];
    expect(figureRows[1]).toEqual(['key', 'name', 'group', 'unit', 'value', 'previous', 'direction', 'change', 'responses']);
    expect(figureRows.find((r) => r[0] === 'releases')!.slice(4, 6)).toEqual(['4', '1']);
    const releaseRows = parseCsv(releases!, { columns: true }) as Record<string, string>[];
    expect(releaseRows).toHaveLength(4);
    expect(releaseRows.map((r) => r.version)).toContain(`'=HYPERLINK("http://evil")`);
    expect(csv).not.toMatch(/(^|,)=HYPERLINK/m);
  });

  it('refuses an unknown service in the export with what it takes', async () => {
    await expect(kpiExport(db, settings, { from: '2026-11-11', to: '2026-11-20', service: 'nosuch', format: 'csv', now: at(25) })).rejects.toThrow('"nosuch" is neither a service nor a team');
  });

  // Last: it resolves the incident and sets the first failure, which the tests above do not expect.
  it('gives each release the facts behind Reviews done and due and Time to restore, so an auditor can work them out again', async () => {
    const rolled = (await db.selectFrom('releases').select('id').where('version', '=', '1.2.0').executeTakeFirstOrThrow()).id;
    // INC-1 resolved two hours after it was recorded; the rollback completed two and a half hours after the first failure.
    await db.updateTable('incidents').set({ resolved_at: new Date(at(14).getTime() + 2 * 3_600_000) }).where('release_id', '=', rolled).execute();
    await db.updateTable('releases').set({ failed_at: new Date(at(14).getTime() - 2.5 * 3_600_000) }).where('id', '=', rolled).execute();
    const options = { from: '2026-11-11', to: '2026-11-20', service: 'payments', now: at(25) };
    const json = JSON.parse(await kpiExport(db, settings, { ...options, format: 'json' }));
    const byVersion = Object.fromEntries(json.releases.map((r: Record<string, unknown>) => [r.version, r]));
    // The policy's default require_review: failed, rolled back and emergency releases.
    expect(byVersion['1.2.0']).toMatchObject({ reviewed: false, reviewRequired: true, incidentRestoreHours: [2], rollbackRestoreHours: 2.5 });
    expect(byVersion['=HYPERLINK("http://evil")']).toMatchObject({ reviewRequired: true, incidentRestoreHours: [], rollbackRestoreHours: null });
    expect(byVersion['1.0.0']).toMatchObject({ reviewed: false, reviewRequired: false });
    const report = json.report.figures as { key: string; value: number | null }[];
    // The figures follow from the rows: the median of 2 h and 2.5 h, and two reviews due.
    expect(report.find((f) => f.key === 'time_to_restore')!.value).toBeCloseTo(2.25);
    expect(report.find((f) => f.key === 'reviews_due')!.value).toBe(2);

    const csv = await kpiExport(db, settings, { ...options, format: 'csv' });
    const rows = parseCsv(csv.split('\n\n')[1]!, { columns: true }) as Record<string, string>[];
    expect(rows.find((r) => r.version === '1.2.0')).toMatchObject({ reviewed: 'false', reviewRequired: 'true', incidentRestoreHours: '2', rollbackRestoreHours: '2.5' });
    // A period with no releases still has the whole header, so a spreadsheet's columns do not move.
    const empty = await kpiExport(db, settings, { from: '2026-10-01', to: '2026-10-02', service: 'payments', format: 'csv', now: at(25) });
    const [header] = parseCsv(empty.split('\n\n')[1]!, { relaxColumnCount: true }) as string[][];
    expect(header).toEqual(Object.keys(rows[0]!));
  });
});
