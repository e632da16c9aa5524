// What the benches share: start a script as a child process on a free port, and load relm with
// signed Slack requests the way Slack sends them.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { blockActionPayload, interactionBody, sign, slashCommandBody } from '../test/support/slack-requests.ts';

const ROOT = new URL('..', import.meta.url).pathname;

/** Starts `node <script>` with PORT=0 and resolves with the port it prints ("listening N" or pino's "port":N). */
export async function startServer(script: string[], env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, script, { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const listening = /listening (\d+)/.exec(out) ?? /"port":(\d+)/.exec(out);
      if (listening) resolve(Number(listening[1]));
    });
    child.on('exit', (code) => reject(new Error(`${script.join(' ')} exited with ${code}: ${out}`)));
  });
  return { child, port };
}

/** Starts `node <args>` in the repository with the environment added, its stdout piped for waitForLine. */
export function startChild(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Resolves once the child has printed a line matching `pattern`; rejects if it exits first. */
export async function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const match = pattern.exec(out);
      if (match) resolve(match);
    });
    child.on('exit', (code) => reject(new Error(`child exited with ${code}: ${out}`)));
  });
}

export function stopProcess(child: ChildProcess): Promise<unknown> {
  const exited = new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  child.kill('SIGTERM');
  return exited;
}

/** Slash commands (show, list, help) and Approve clicks in turn, answering through the sink's response_url. */
export function slackBodies(count: number, responseUrl: string): string[] {
  return Array.from({ length: count }, (_, i) => {
    const user = `U0BENCH${i % 7}`;
    switch (i % 4) {
      case 0:
        return slashCommandBody({ user, text: 'show REL-1', responseUrl });
      case 1:
        return slashCommandBody({ user, text: 'list payments', responseUrl });
      case 2:
        return slashCommandBody({ user, text: 'help', responseUrl });
      default:
        return interactionBody(blockActionPayload({ user, actionId: 'relm_approve', value: '1:1', channel: 'C0PAY', messageTs: '1.000001', responseUrl }));
    }
  });
}

/** Sends the bodies, signed, `concurrency` at a time; resolves with each request's latency in ms, sorted. */
export async function sendSigned(port: number, bodies: string[], concurrency: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body) } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies.sort((a, b) => a - b);
}
