import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ store: 'pglite' });
});

afterAll(async () => {
  await h?.stop();
});

const texts = (blocks: any[]) => JSON.stringify(blocks);

describe('/release kpi', () => {
  it('answers ephemerally with the KPI report as Block Kit, for a period and a service', async () => {
    const all = await h.command('U0DEV', 'kpi');
    expect(all.reply!.via).toBe('response_url');
    expect(all.reply!.blocks![0]).toMatchObject({ type: 'header', text: { text: 'KPIs: last 30 days, all services' } });
    expect(texts(all.reply!.blocks!)).toContain('No release ended in this period');
    expect(texts(all.reply!.blocks!)).toContain('*DORA*');
    expect(all.reply!.text).toMatch(/^KPIs, last 30 days, all services: /);

    const one = await h.command('U0DEV', 'kpi 90d payments');
    expect(one.reply!.blocks![0]).toMatchObject({ type: 'header', text: { text: 'KPIs: last 90 days, payments' } });
  });

  it('refuses an unknown period or service with what it takes, and no report', async () => {
    const period = await h.command('U0DEV', 'kpi 13x');
    expect(period.reply!.text).toContain('"13x" is not a period');
    expect(period.reply!.blocks ?? []).toEqual([]);
    const service = await h.command('U0DEV', 'kpi 7d nosuch');
    expect(service.reply!.text).toContain('"nosuch" is neither a service nor a team. Services: ');
    const long = await h.command('U0DEV', 'kpi 9999d');
    expect(long.reply!.text).toMatch(/A period is 1d to \d+d/);
    expect((await h.command('U0DEV', 'kpi 99999999999d')).reply!.text).toMatch(/A period is 1d to \d+d/);
    // A word that is neither a period nor a scope may be a period meant: the answer says what both are.
    const month = (await h.command('U0DEV', 'kpi month')).reply!;
    expect(month.text).toContain('"month" is neither a service nor a team. Services: ');
    expect(month.text).toContain('Nor is it a period: 7d, 30d, 90d, quarter or Nd');
    expect(month.blocks ?? []).toEqual([]);
    // Two periods are called two periods, wherever the second stands.
    expect((await h.command('U0DEV', 'kpi 30d 7d')).reply!.text).toContain('Give one period: "7d" is a second one.');
    expect((await h.command('U0DEV', 'kpi 30d payments quarter')).reply!.text).toContain('Give one period: "quarter" is a second one.');
    expect((await h.command('U0DEV', 'kpi quarter --from 2026-11-01 --to 2026-11-30')).reply!.text).toContain('Give one period: `--from`/`--to` or a named one, not both.');
  });
});
