import type { App, Receiver, ReceiverEvent } from '@slack/bolt';

/**
 * A Bolt receiver fed by the console instead of HTTP: the same app, middleware and listeners run,
 * and `dispatch` returns what the listener acknowledged with (a modal's field errors, say).
 */
export class ConsoleReceiver implements Receiver {
  #app?: App;

  init(app: App): void {
    this.#app = app;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  async dispatch(body: Record<string, unknown>): Promise<unknown> {
    if (!this.#app) throw new Error('the console receiver is not attached to an app');
    let acked: unknown;
    const event: ReceiverEvent = {
      body,
      ack: async (response?: unknown) => {
        acked = response;
      },
    };
    await this.#app.processEvent(event);
    return acked;
  }
}
