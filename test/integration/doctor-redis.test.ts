import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE_CONFIG, textSink } from '../support/harness.ts';
import { readEnv } from '../../src/config/env.ts';
import { runDoctor } from '../../src/doctor.ts';
import { realClockEnv } from '../support/process-env.ts';
import { freePort } from '../support/local-server.ts';

const servers: ChildProcess[] = [];

/** A private Redis started with the given settings. */
async function redisWith(args: string[]): Promise<string> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'relm-doctor-redis-'));
  servers.push(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...args], { stdio: 'ignore', env: realClockEnv() }));
  await new Promise((resolve) => setTimeout(resolve, 300));
  return `redis://127.0.0.1:${port}`;
}

async function doctor(redisUrl: string): Promise<{ code: number; line: string; text: string }> {
  const { sink, text } = textSink();
  const env = readEnv({ REDIS_URL: redisUrl, RELM_CONFIG: FIXTURE_CONFIG, RELM_DATA_DIR: mkdtempSync(join(tmpdir(), 'relm-doctor-data-')) });
  const code = await runDoctor(env, sink);
  const lines = text().split('\n');
  const at = lines.findIndex((l) => /redis setup/.test(l));
  return { code, line: lines.slice(at, at + 2).join('\n'), text: text() };
}

afterAll(() => {
  for (const s of servers) s.kill('SIGKILL');
});

describe('doctor on Redis as BullMQ needs it', () => {
  it('fails a Redis that may evict keys, saying how to set noeviction, and reports that it does not persist', async () => {
    const { code, line } = await doctor(await redisWith(['--maxmemory-policy', 'allkeys-lru', '--appendonly', 'no', '--save', '']));
    expect(code).toBe(1);
    expect(line).toMatch(/✘ redis setup\s+maxmemory-policy is allkeys-lru: Redis may evict BullMQ's keys/);
    expect(line).toContain('persistence: AOF off, no RDB snapshots');
    expect(line).toContain('fix: Set `maxmemory-policy noeviction`');
    expect(line).toContain('--appendonly yes');
  });

  it('passes noeviction with AOF on, reporting the persistence it found', async () => {
    const { line, text } = await doctor(await redisWith(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes', '--save', '900 1']));
    expect(line).toMatch(/✔ redis setup\s+maxmemory-policy noeviction; persistence: AOF on, RDB snapshots \(save 900 1\)/);
    expect(text).not.toMatch(/✘ redis/);
  });
});
