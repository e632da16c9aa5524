import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';

/** What relm sent back for one envelope: its id and, where Slack accepts one, the response payload. */
export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, any>;
}

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/**
 * Slack's Socket Mode end on 127.0.0.1, as Slack speaks it: a client connects to the URL that
 * apps.connections.open gave it, is greeted with `hello`, gets envelopes (`slash_commands`,
 * `interactive`, `events_api`) and must ack each `envelope_id`; `disconnect` asks it to connect
 * again through a fresh apps.connections.open.
 */
export class FakeSocketMode {
  readonly acks: SocketAck[] = [];
  /** How many times a client connected (one per apps.connections.open answered and used). */
  connections = 0;
  #server?: WebSocketServer;
  #socket?: WebSocket;
  readonly #waiting = new Map<string, (ack: SocketAck) => void>();
  url = '';

  async start(): Promise<this> {
    this.#server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => this.#server!.once('listening', resolve));
    const address = this.#server.address();
    this.url = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/link/?ticket=${randomUUID()}`;
    this.#server.on('connection', (socket) => {
      this.connections++;
      this.#socket = socket;
      socket.on('message', (data) => this.#received(String(data)));
      socket.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake-socket-mode', approximate_connection_time: 18060 }, connection_info: { app_id: 'A0RELM' } }));
    });
    return this;
  }

  /** Resolves once a client is connected and greeted (the `connections`-th connection). */
  async connected(count = 1, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections < count || this.#socket?.readyState !== 1) {
      if (Date.now() > deadline) throw new Error(`no Socket Mode connection #${count} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Sends one envelope and resolves with relm's ack. `envelopeId` and `retryAttempt` let a test
   * deliver the same envelope again, as Slack does when an ack did not reach it.
   */
  send(type: EnvelopeType, payload: Record<string, unknown>, options: { envelopeId?: string; retryAttempt?: number; timeoutMs?: number } = {}): Promise<SocketAck> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== 1) throw new Error('no Socket Mode client is connected');
    const envelopeId = options.envelopeId ?? randomUUID();
    const envelope = {
      envelope_id: envelopeId,
      payload,
      type,
      accepts_response_payload: type !== 'events_api',
      retry_attempt: options.retryAttempt ?? 0,
      retry_reason: options.retryAttempt ? 'timeout' : '',
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(envelopeId);
        reject(new Error(`no ack for ${type} envelope ${envelopeId}`));
      }, options.timeoutMs ?? 5_000);
      this.#waiting.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      socket.send(JSON.stringify(envelope));
    });
  }

  /** Slack's refresh: tells the client to go and closes the socket after a moment, as Slack does. */
  disconnect(reason: 'refresh_requested' | 'link_disabled' | 'warning' = 'refresh_requested'): void {
    const socket = this.#socket;
    socket?.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake-socket-mode' } }));
    setTimeout(() => socket?.close(), 200).unref();
  }

  async stop(): Promise<void> {
    for (const client of this.#server?.clients ?? []) client.terminate();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #received(text: string): void {
    let ack: SocketAck;
    try {
      ack = JSON.parse(text) as SocketAck;
    } catch {
      return;
    }
    if (typeof ack.envelope_id !== 'string') return;
    this.acks.push(ack);
    this.#waiting.get(ack.envelope_id)?.(ack);
    this.#waiting.delete(ack.envelope_id);
  }
}
