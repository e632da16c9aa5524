import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:net';

/** Listens on a free port of 127.0.0.1 and returns the base URL. */
export async function listenLocally(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** Closes a server and any keep-alive connections the clients left open. */
export async function closeNow(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const faults: string[] = [];

/** The faults of the fake servers since the last call (test/support/fake-server-faults.ts fails a test that had any). */
export function takeFakeServerFaults(): string[] {
  return faults.splice(0);
}

/**
 * An async request handler as a real server runs it: a client that goes away mid-request (a relm
 * process SIGKILLed while it sends) ends that request and nothing else, and a fault of the fake itself
 * answers 500 with its message and is recorded, so the test that caused it fails, instead of an
 * unhandled rejection landing on whichever test file happens to be running, or a retry hiding it.
 */
export function guarded(handler: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (res.writableEnded || res.destroyed || req.socket.destroyed) return;
      const message = error instanceof Error ? error.message : String(error);
      faults.push(`${req.method} ${req.url}: ${message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake server fault: ${message}`);
    });
  };
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A port of 127.0.0.1 that was free a moment ago: nothing listens there. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
