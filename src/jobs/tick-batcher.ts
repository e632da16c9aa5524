/** What one run over some releases came to (see advanceRollouts). */
export interface BatchOutcome<R> {
  releases: Map<number, R>;
  failed: Map<number, unknown>;
  /** Releases another transaction held; each is ticked again on its own, waiting its turn. */
  busy: number[];
}

type Waiter<R> = { resolve: (value: R | undefined) => void; reject: (error: unknown) => void };

/**
 * Gathers the tick requests of concurrent rollout jobs into batches, one transaction each. A lone
 * wake-up runs on the next turn of the event loop, as before; when a thousand waves fall due in the
 * same second, the jobs that arrive while earlier batches run are ticked together, so the database
 * sees a few statements per batch instead of a dozen per release.
 *
 * A batch never waits on a release someone else has locked (`run(ids, false)` skips it, and it goes
 * again on its own, `run([id], true)`), and a release already in a running batch waits for the next
 * one, so a slow release cannot stall the others.
 */
export class TickBatcher<R> {
  readonly #waiting = new Map<number, Waiter<R>[]>();
  readonly #inFlight = new Set<number>();
  readonly #run: (ids: number[], wait: boolean) => Promise<BatchOutcome<R>>;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  #running = 0;
  #scheduled = false;

  constructor(run: (ids: number[], wait: boolean) => Promise<BatchOutcome<R>>, options: { maxInFlight?: number; maxBatch?: number } = {}) {
    this.#run = run;
    this.#maxInFlight = options.maxInFlight ?? 4;
    this.#maxBatch = options.maxBatch ?? 200;
  }

  /** Ticks the release; resolves with what the tick left, or undefined when there is no such release. */
  tick(releaseId: number): Promise<R | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.#waiting.get(releaseId) ?? [];
      waiters.push({ resolve, reject });
      this.#waiting.set(releaseId, waiters);
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // One macrotask of patience, so the jobs a worker took in the same turn share a batch.
    setImmediate(() => {
      this.#scheduled = false;
      while (this.#running < this.#maxInFlight) {
        const batch = this.#take();
        if (batch.length === 0) break;
        void this.#runBatch(batch);
      }
    });
  }

  #take(): [number, Waiter<R>[]][] {
    const batch: [number, Waiter<R>[]][] = [];
    for (const entry of this.#waiting) {
      if (batch.length >= this.#maxBatch) break;
      if (!this.#inFlight.has(entry[0])) batch.push(entry);
    }
    for (const [id] of batch) {
      this.#waiting.delete(id);
      this.#inFlight.add(id);
    }
    return batch;
  }

  async #runBatch(batch: [number, Waiter<R>[]][]): Promise<void> {
    this.#running++;
    let busy: [number, Waiter<R>[]][] = [];
    try {
      if (batch.length === 1) await this.#solo(batch[0]!);
      else busy = await this.#together(batch);
    } finally {
      const waitingOn = new Set(busy.map(([id]) => id));
      for (const [id] of batch) if (!waitingOn.has(id)) this.#inFlight.delete(id);
      this.#running--;
      if (this.#waiting.size > 0) this.#pump();
    }
    // A release someone else holds waits for its lock outside the batch slots, so it holds up no one.
    for (const entry of busy) {
      void this.#solo(entry).finally(() => {
        this.#inFlight.delete(entry[0]);
        if (this.#waiting.size > 0) this.#pump();
      });
    }
  }

  /** Runs the batch; answers every release in it but the busy ones, which it returns. */
  async #together(batch: [number, Waiter<R>[]][]): Promise<[number, Waiter<R>[]][]> {
    let outcome: BatchOutcome<R>;
    try {
      outcome = await this.#run(batch.map(([id]) => id), false);
    } catch {
      // The batch as a whole failed (a database error): each release goes again on its own, a few at a time.
      for (let i = 0; i < batch.length; i += 4) await Promise.all(batch.slice(i, i + 4).map((entry) => this.#solo(entry)));
      return [];
    }
    const busy = new Set(outcome.busy);
    for (const [id, waiters] of batch) {
      if (busy.has(id)) continue;
      if (outcome.failed.has(id)) for (const w of waiters) w.reject(outcome.failed.get(id));
      else for (const w of waiters) w.resolve(outcome.releases.get(id));
    }
    return batch.filter(([id]) => busy.has(id));
  }

  async #solo([id, waiters]: [number, Waiter<R>[]]): Promise<void> {
    try {
      const outcome = await this.#run([id], true);
      if (outcome.failed.has(id)) for (const w of waiters) w.reject(outcome.failed.get(id));
      else for (const w of waiters) w.resolve(outcome.releases.get(id));
    } catch (error) {
      for (const w of waiters) w.reject(error);
    }
  }
}
