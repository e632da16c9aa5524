import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ical from 'node-ical';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { findCard, planValues } from '../support/slack-views.ts';

const TOKEN = 'calendar-secret-for-tests';
let h: Harness;

function day(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** Two services on one open policy, one on a policy with a freeze a few days from now; a team of one. */
function feedConfig(): string {
  const approvals = `{ minor: { required: 1, from: [approvers] }, major: { required: 1, from: [approvers] }, patch: { required: 1, from: [approvers] }, emergency: { required: 1, from: [U0RM], bypass_freeze: true } }`;
  const yaml = `
timezone: UTC
release_managers: [U0RM]
groups:
  approvers: [U0APP1, U0APP2]
services:
  shop: { name: Shop & Co, channel: C0SHOP, policy: open, deployment_model: quick }
  ledger: { name: Ledger, channel: C0LEDG, policy: frozen, deployment_model: quick }
teams:
  money: [ledger]
policies:
  open:
    approvals: ${approvals}
    conflicts: warn
  frozen:
    approvals: ${approvals}
    freezes: [{ from: ${day(20)}, to: ${day(22)}, reason: Year-end close }]
deployment_models:
  quick:
    deployer: manual
    waves:
      - { name: canary, targets: [eu-1], bake: 30m }
      - { name: rest, targets: [eu-2] }
`;
  const file = join(mkdtempSync(join(tmpdir(), 'relm-feed-')), 'relm.yml');
  writeFileSync(file, yaml);
  return file;
}

beforeAll(async () => {
  h = await startHarness({ store: 'pglite', config: feedConfig(), env: { RELM_CALENDAR_TOKEN: TOKEN } });
});

afterAll(async () => {
  await h?.stop();
});

async function authorised(service: string, channel: string, version: string, at: Date, title: string): Promise<number> {
  const planned = await h.command('U0DEV', `new ${service} ${version} --at ${at.toISOString()} --title "${title}"`, { channel });
  const id = Number(/REL-(\d+)/.exec(planned.reply!.text)![1]);
  const edit = await h.command('U0DEV', `edit REL-${id}`, { channel });
  await h.submitView('U0DEV', edit.view, planValues({ version, title, model: 'quick', rollback: 'Redeploy the previous version', evidence: 'CI green', start: at }));
  await h.command('U0DEV', `submit REL-${id}`, { channel });
  const approved = await h.command('U0APP1', `approve REL-${id}`, { channel });
  expect(approved.reply!.text).toContain('it is authorised and scheduled for');
  return id;
}

async function feed(query: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${h.baseUrl}/calendar.ics${query}`);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** node-ical gives a property with parameters (URL;VALUE=URI) as { params, val }. */
function textOf(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && 'val' in value ? String((value as { val: unknown }).val) : (value as string | undefined);
}

function events(text: string) {
  return Object.values(ical.sync.parseICS(text)).filter((c) => c?.type === "VEVENT") as ical.VEvent[];
}

describe('the calendar feed', () => {
  it('refuses a missing or wrong token', async () => {
    expect((await feed('')).status).toBe(401);
    expect((await feed('?token=nope')).status).toBe(403);
    expect((await feed(`?token=${TOKEN.slice(0, -1)}`)).status).toBe(403);
  });

  it('lists scheduled and running releases with their expected span, state and card, and freezes all day; filters by service and team', async () => {
    const soon = new Date(Date.now() + 1_500);
    const running = await authorised('shop', 'C0SHOP', '1.0.0', soon, 'Checkout <fast>');
    const later = new Date(Math.ceil((Date.now() + 3 * 86_400_000) / 60_000) * 60_000);
    const scheduled = await authorised('ledger', 'C0LEDG', '2.0.0', later, 'Ledger rework');
    // A draft is not on the calendar.
    await h.command('U0DEV', `new shop 1.1.0 --at ${later.toISOString()}`, { channel: 'C0SHOP' });
    await waitFor(async () => (await h.relm.db.selectFrom('releases').select('state').where('id', '=', running).executeTakeFirstOrThrow()).state === 'in_progress', 'the first release to start', 15_000);
    await h.settle();

    const all = await feed(`?token=${TOKEN}`);
    expect(all.status).toBe(200);
    expect(all.type).toContain('text/calendar');
    const list = events(all.text);
    const byUid = new Map(list.map((e) => [e.uid, e]));
    expect([...byUid.keys()].sort()).toEqual([`relm-release-${running}`, `relm-release-${scheduled}`, expect.stringMatching(/^relm-freeze-frozen-/)].sort());

    const ledger = byUid.get(`relm-release-${scheduled}`)!;
    expect(ledger.summary).toBe(`REL-${scheduled} Ledger 2.0.0: Ledger rework`);
    expect(new Date(ledger.start).getTime()).toBe(later.getTime());
    // Two waves of the model's assumed 15 minutes each, and the canary's 30-minute bake.
    expect(new Date(ledger.end!).getTime() - later.getTime()).toBe((15 + 30 + 15) * 60_000);
    expect(ledger.description).toContain('State: scheduled');
    const card = findCard(h.slack, 'C0LEDG', scheduled)!;
    expect(textOf(ledger.url)).toBe(`https://slack.com/archives/C0LEDG/p${card.ts.replace('.', '')}`);

    const shop = byUid.get(`relm-release-${running}`)!;
    expect(shop.summary).toBe(`REL-${running} Shop & Co 1.0.0: Checkout <fast>`);
    expect(shop.description).toContain('State: in progress');
    expect(new Date(shop.end!).getTime()).toBeGreaterThan(Date.now());

    const freeze = list.find((e) => e.uid.startsWith('relm-freeze-'))!;
    expect(freeze.summary).toBe('Change freeze: Year-end close');
    expect(freeze.datetype).toBe('date');
    expect(new Date(freeze.start).toISOString().slice(0, 10)).toBe(day(20));
    // The end of an all-day event is the day after its last.
    expect(new Date(freeze.end!).toISOString().slice(0, 10)).toBe(day(23));

    const ofShop = events((await feed(`?token=${TOKEN}&service=shop`)).text).map((e) => e.uid);
    expect(ofShop).toEqual([`relm-release-${running}`]);
    const ofTeam = events((await feed(`?token=${TOKEN}&team=money`)).text).map((e) => e.uid);
    expect(ofTeam.sort()).toEqual([`relm-release-${scheduled}`, expect.stringMatching(/^relm-freeze-/)].sort());
    expect((await feed(`?token=${TOKEN}&team=nobody`)).status).toBe(404);
    expect((await feed(`?token=${TOKEN}&service=shop&team=money`)).status).toBe(400);
  }, 60_000);
});

describe('without RELM_CALENDAR_TOKEN', () => {
  it('has no feed at all', async () => {
    const other = await startHarness({ store: 'pglite', config: feedConfig() });
    try {
      expect((await fetch(`${other.baseUrl}/calendar.ics?token=${TOKEN}`)).status).toBe(404);
    } finally {
      await other.stop();
    }
  });
});
