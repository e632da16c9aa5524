import { spawn, type ChildProcess } from 'node:child_process';
import type { Env } from '../../src/config/env.ts';
import { clockEnv } from './process-env.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/** A real `relm <role>` process, started as `npx relm` starts it, on the pinned Node, with the given environment. */
export function spawnRelm(role: 'worker' | 'bot' | 'start', env: Partial<Env> & Record<string, string | number | undefined>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...clockEnv() };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) childEnv[key] = String(value);
  const child = spawn(process.execPath, ['bin/relm.js', role], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}
