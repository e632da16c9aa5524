import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { freePort } from '../support/local-server.ts';
import { realClockEnv } from '../support/process-env.ts';

// A PostgreSQL cluster of this test's own, so restarting it disturbs no other test. initdb refuses to
// run as root, so as root the cluster belongs to the postgres user.
const asRoot = process.getuid?.() === 0;
const owner = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : {};
let dir: string;
let port: number;
let h: Harness;

function pgctl(...args: string[]): void {
  execFileSync('pg_ctl', ['-D', dir, '-w', '-t', '30', ...args], { ...owner, env: realClockEnv(), stdio: 'ignore' });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relm-pg-'));
  if (asRoot) chownSync(dir, owner.uid!, owner.gid!);
  chmodSync(dir, 0o700);
  execFileSync('initdb', ['-D', dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'], { ...owner, env: realClockEnv(), stdio: 'ignore' });
  port = await freePort();
  pgctl('-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, '-l', join(dir, 'log'), 'start');
  h = await startHarness({ store: 'pglite', env: { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres` } });
}, 60_000);

afterAll(async () => {
  await h?.stop().catch(() => {});
  try {
    pgctl('-m', 'immediate', 'stop');
  } catch {}
});

const TRY_AGAIN = ':warning: relm cannot reach its database; nothing was changed, try again in a minute.';

describe('PostgreSQL restarted mid-traffic', () => {
  it('answers each request during the restart with a clear "try again" (never a 5xx), and recovers without a restart of relm', async () => {
    expect((await h.command('U0DEV', 'new payments 1.0.0')).reply!.text).toContain('Planned *REL-1*');
    const outcomes: { status: number; text?: string }[] = [];
    let running = true;
    // Four users asking all the time, while PostgreSQL shuts down fast and comes back.
    const traffic = Array.from({ length: 4 }, async () => {
      while (running) {
        const res = await h.command('U0DEV', 'show REL-1');
        outcomes.push({ status: res.status, text: res.reply?.text });
      }
    });
    await waitFor(() => outcomes.length >= 8, 'traffic to flow');
    const restartAt = outcomes.length;
    pgctl('-m', 'fast', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, '-l', join(dir, 'log'), 'restart');
    await waitFor(() => outcomes.length >= restartAt + 8 && outcomes.slice(-4).every((o) => o.text?.includes('REL-1')), 'answers to be normal again', 30_000);
    running = false;
    await Promise.all(traffic);

    expect(outcomes.every((o) => o.status === 200)).toBe(true);
    const odd = outcomes.filter((o) => !o.text?.includes('REL-1') && o.text !== TRY_AGAIN);
    expect(odd).toEqual([]);
    console.log(`${outcomes.length} requests: ${outcomes.filter((o) => o.text === TRY_AGAIN).length} told to try again during the restart, none failed otherwise`);
    // Writes work again, on the same relm.
    expect((await h.command('U0DEV', 'new payments 2.0.0')).reply!.text).toContain('Planned *REL-2*');
    expect((await fetch(`${h.baseUrl}/readyz`)).status).toBe(200);
  }, 90_000);
});
