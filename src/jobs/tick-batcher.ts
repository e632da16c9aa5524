/**
 * Gathers the tick requests of concurrent rollout jobs into batches, one transaction each. A lone
 * wake-up runs on the next turn of the event loop, as before; when a thousand waves fall due in the
 * same second, the jobs that arrive while earlier batches run are ticked together, so the database
 * sees a few statements per batch instead of a dozen per release.
 */
export class TickBatcher<R> {
  readonly #waiting = new Map<number, { resolve: (value: R | undefined) => void; reject: (error: unknown) => void }[]>();
  readonly #run: (ids: number[]) => Promise<Map<number, R>>;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  #running = 0;
  #scheduled = false;

  constructor(run: (ids: number[]) => Promise<Map<number, R>>, options: { maxInFlight?: number; maxBatch?: number } = {}) {
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
      while (this.#running < this.#maxInFlight && this.#waiting.size > 0) void this.#runBatch();
    });
  }

  async #runBatch(): Promise<void> {
    const batch = [...this.#waiting.entries()].slice(0, this.#maxBatch);
    for (const [id] of batch) this.#waiting.delete(id);
    this.#running++;
    try {
      await this.#settle(batch);
    } finally {
      this.#running--;
      if (this.#waiting.size > 0) this.#pump();
    }
  }

  async #settle(batch: [number, { resolve: (value: R | undefined) => void; reject: (error: unknown) => void }[]][]): Promise<void> {
    try {
      const results = await this.#run(batch.map(([id]) => id));
      for (const [id, waiters] of batch) for (const w of waiters) w.resolve(results.get(id));
    } catch (error) {
      if (batch.length === 1) {
        for (const w of batch[0]![1]) w.reject(error);
        return;
      }
      // One release's trouble must not hold up the others: each goes again on its own.
      await Promise.all(batch.map((entry) => this.#settle([entry])));
    }
  }
}
