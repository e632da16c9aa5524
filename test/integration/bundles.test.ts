import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';

// Bundles through signed /release commands on real PostgreSQL and Redis with the fake Slack.
let h: Harness;
const clock = () => new Date();

function writeConfig(): string {
  const yaml = `
timezone: UTC
release_managers: [U0RM]
groups:
  approvers: [U0APP1, U0APP2]
services:
  ledger: { name: Ledger, channel: C0LED, policy: open, deployment_model: quick }
  payments: { name: Payments, channel: C0PAY, policy: strict, deployment_model: quick }
policies:
  open:
    approvals:
      minor: { required: 1, from: [approvers] }
  strict:
    approvals:
      minor: { required: 2, from: [approvers] }
deployment_models:
  quick:
    waves:
      - { name: only, targets: [eu-1] }
`;
  const dir = mkdtempSync(join(tmpdir(), 'relm-bundles-'));
  const file = join(dir, 'relm.yml');
  writeFileSync(file, yaml);
  return file;
}

beforeAll(async () => {
  h = await startHarness({ store: 'postgres', config: writeConfig(), clock });
});

afterAll(async () => {
  await h?.stop();
});

const idOf = (text: string, prefix = 'REL') => Number(new RegExp(`${prefix}-(\\d+)`).exec(text)![1]);

async function planned(service: string, version: string): Promise<number> {
  const at = new Date(clock().getTime() + 6 * 3_600_000).toISOString();
  const reply = await h.command('U0DEV', `new ${service} ${version} --type minor --at ${at} --rollback "Redeploy" --tests "CI green"`, { channel: service === 'ledger' ? 'C0LED' : 'C0PAY' });
  return idOf(reply.reply!.text);
}

async function members(bundleId: number) {
  return h.relm.db.selectFrom('bundle_members').select(['release_id', 'position']).where('bundle_id', '=', bundleId).orderBy('position').execute();
}

async function revision(bundleId: number): Promise<number> {
  return (await h.relm.db.selectFrom('bundles').select('revision').where('id', '=', bundleId).executeTakeFirstOrThrow()).revision;
}

describe('bundles', () => {
  it('creates a bundle, adds members in order, shows them, and a change bumps its revision', async () => {
    const ledger = await planned('ledger', '1.0.0');
    const payments = await planned('payments', '2.0.0');
    const created = (await h.command('U0DEV', 'bundle new "Payments <train>"', { channel: 'C0LED' })).reply!.text;
    expect(created).toContain('Payments &lt;train&gt;');
    const bundle = idOf(created, 'BUN');
    const before = await revision(bundle);
    const added = (await h.command('U0DEV', `bundle add BUN-${bundle} REL-${ledger} REL-${payments}`, { channel: 'C0LED' })).reply!.text;
    expect(added).toMatch(new RegExp(`1\\. REL-${ledger} ledger 1\\.0\\.0[\\s\\S]*2\\. REL-${payments} payments 2\\.0\\.0`));
    expect(await revision(bundle)).toBeGreaterThan(before);
    const shown = (await h.command('U0APP1', `bundle show BUN-${bundle}`, { channel: 'C0PAY' })).reply!.text;
    expect(shown).toContain(`REL-${payments} payments`);
    const removed = (await h.command('U0DEV', `bundle remove BUN-${bundle} REL-${ledger}`, { channel: 'C0LED' })).reply!.text;
    expect(removed).not.toContain(`REL-${ledger} ledger`);
    expect((await members(bundle)).map((m) => m.release_id)).toEqual([payments]);
  });

  it('approves a bundle of two services once, under the strictest rule, never by a member\'s owner; an edit voids it', async () => {
    const ledger = await planned('ledger', '8.0.0');
    const payments = await planned('payments', '9.0.0');
    const bundle = idOf((await h.command('U0DEV', 'bundle new "Strict"', { channel: 'C0LED' })).reply!.text, 'BUN');
    await h.command('U0DEV', `bundle add BUN-${bundle} REL-${ledger} REL-${payments}`, { channel: 'C0LED' });
    const own = (await h.command('U0DEV', `bundle approve BUN-${bundle}`, { channel: 'C0LED' })).reply!.text;
    expect(own).toContain('You own a release in this bundle');
    // ledger needs 1 approver, payments 2: one approval is not enough.
    const first = (await h.command('U0APP1', `bundle approve BUN-${bundle}`, { channel: 'C0LED' })).reply!.text;
    expect(first).toContain(`REL-${payments} needs 1 more`);
    expect(first).not.toContain(`REL-${ledger} needs`);
    const again = (await h.command('U0APP1', `bundle approve BUN-${bundle}`, { channel: 'C0LED' })).reply!.text;
    expect(again).toContain('already approved');
    const second = (await h.command('U0APP2', `bundle approve BUN-${bundle}`, { channel: 'C0LED' })).reply!.text;
    expect(second).toContain('Approved: every member');
    expect((await h.relm.db.selectFrom('bundles').select('state').where('id', '=', bundle).executeTakeFirstOrThrow()).state).toBe('approved');
    // Approved: no more members.
    const late = await planned('ledger', '8.1.0');
    expect((await h.command('U0DEV', `bundle add BUN-${bundle} REL-${late}`, { channel: 'C0LED' })).reply!.text).toContain('only be added while it is open');
    // A member edit voids the approvals: the bundle is open again and needs both approvals anew.
    await h.command('U0DEV', `edit REL-${payments} --title "Payments, fixed"`, { channel: 'C0PAY' });
    const reopened = (await h.command('U0APP1', `bundle approve BUN-${bundle}`, { channel: 'C0LED' })).reply!.text;
    expect(reopened).toContain(`REL-${payments} needs 1 more`);
  });

  it('an edit or a reschedule of a member voids the bundle\'s approvals (its revision goes up)', async () => {
    const member = await planned('ledger', '10.0.0');
    const bundle = idOf((await h.command('U0DEV', 'bundle new "Edits"', { channel: 'C0LED' })).reply!.text, 'BUN');
    await h.command('U0DEV', `bundle add BUN-${bundle} REL-${member}`, { channel: 'C0LED' });
    // As if the bundle had been approved: an edit must open it again for a new request.
    await h.relm.db.updateTable('bundles').set({ state: 'approved' }).where('id', '=', bundle).execute();
    const rev = await revision(bundle);
    const edited = (await h.command('U0DEV', `edit REL-${member} --title "Ledger with the fix"`, { channel: 'C0LED' })).reply!.text;
    expect(edited).not.toMatch(/error|cannot/i);
    const after = await h.relm.db.selectFrom('bundles').select(['revision', 'state']).where('id', '=', bundle).executeTakeFirstOrThrow();
    expect(after).toEqual({ revision: rev + 1, state: 'open' });
    const later = new Date(clock().getTime() + 9 * 3_600_000).toISOString();
    await h.command('U0DEV', `schedule REL-${member} ${later}`, { channel: 'C0LED' });
    expect(await revision(bundle)).toBe(rev + 2);
  });

  it('answers bad input ephemerally and changes nothing', async () => {
    const a = await planned('ledger', '11.0.0');
    const b = await planned('payments', '12.0.0');
    const first = idOf((await h.command('U0DEV', 'bundle new "First"', { channel: 'C0LED' })).reply!.text, 'BUN');
    const second = idOf((await h.command('U0DEV', 'bundle new "Second"', { channel: 'C0LED' })).reply!.text, 'BUN');
    await h.command('U0DEV', `bundle add BUN-${first} REL-${a}`, { channel: 'C0LED' });
    const rev = await revision(second);

    const unknown = (await h.command('U0DEV', `bundle add BUN-${second} REL-${b} REL-999999`, { channel: 'C0LED' })).reply!;
    expect(unknown.text).toContain('REL-999999 does not exist');
    const itself = (await h.command('U0DEV', `bundle add BUN-${second} BUN-${second}`, { channel: 'C0LED' })).reply!;
    expect(itself.text).toContain('cannot contain itself');
    const other = (await h.command('U0DEV', `bundle add BUN-${second} REL-${b} REL-${a}`, { channel: 'C0LED' })).reply!;
    expect(other.text).toContain(`REL-${a} is in BUN-${first}`);
    const noBundle = (await h.command('U0DEV', `bundle show BUN-999999`, { channel: 'C0LED' })).reply!;
    expect(noBundle.text).toContain('BUN-999999 does not exist');

    expect(await members(second)).toEqual([]);
    expect((await members(first)).map((m) => m.release_id)).toEqual([a]);
    expect(await revision(second)).toBe(rev);
  });
});
