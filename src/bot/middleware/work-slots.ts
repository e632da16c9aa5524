/** A counting semaphore: at most `size` holders, the others waiting in turn (for a while, or for ever). */
export class WorkSlots {
  readonly #size: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #idle: (() => void)[] = [];

  constructor(size: number) {
    this.#size = size;
  }

  get running(): number {
    return this.#running;
  }

  /** A slot, once one is free within `timeoutMs` (Infinity: however long it takes); false when none came. */
  async acquire(timeoutMs = Infinity): Promise<boolean> {
    if (this.#running < this.#size) {
      this.#running++;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const turn = () => {
        clearTimeout(timer);
        this.#running++;
        resolve(true);
      };
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            this.#waiting.splice(this.#waiting.indexOf(turn), 1);
            resolve(false);
          }, timeoutMs)
        : undefined;
      this.#waiting.push(turn);
    });
  }

  release(): void {
    this.#running--;
    const next = this.#waiting.shift();
    if (next) next();
    else if (this.#running === 0) this.#idle.splice(0).forEach((done) => done());
  }

  /** Resolves when no work is running, or after `timeoutMs`; true when it is all done. */
  async drained(timeoutMs: number): Promise<boolean> {
    if (this.#running === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([new Promise<true>((resolve) => this.#idle.push(() => resolve(true))), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
    clearTimeout(timer);
    return done;
  }
}
