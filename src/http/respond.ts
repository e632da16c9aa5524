import type { IncomingMessage, ServerResponse } from 'node:http';

export const MAX_WEBHOOK_BYTES = 1024 * 1024;

/** How much of a refused body relm still reads (and throws away) so that its answer arrives. */
const DRAIN_BYTES = 16 * 1024 * 1024;

export function replyJson(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * Reads a request body up to `limit` bytes; undefined when it is larger. A larger body is still read
 * to its end and thrown away (up to 16 MiB more), so a client that is still sending gets the 413
 * rather than a reset, and the answer carries `Connection: close`: nothing of that body may be taken
 * for the next request on a kept-alive connection. A body bigger still is cut off after the answer.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const refuse = () => {
      chunks.length = 0;
      res.setHeader('connection', 'close');
      req.removeListener('data', collect);
    };
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      refuse();
      req.on('data', (more: Buffer) => {
        size += more.length;
        if (size > limit + DRAIN_BYTES) {
          req.pause();
          res.once('finish', () => req.socket.destroy());
          resolve(undefined);
        }
      });
    };
    if (Number(req.headers['content-length']) > limit + DRAIN_BYTES) {
      refuse();
      res.once('finish', () => req.socket.destroy());
      resolve(undefined);
      return;
    }
    req.on('data', collect);
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

/** readBody as UTF-8 text. */
export async function readLimited(req: IncomingMessage, res: ServerResponse, limit: number): Promise<string | undefined> {
  return (await readBody(req, res, limit))?.toString('utf8');
}
