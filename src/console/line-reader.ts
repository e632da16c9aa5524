import { createInterface } from 'node:readline';

/**
 * Lines from stdin, one at a time, for the console's prompts and its modal forms alike. Works the
 * same whether a person types or a script pipes the lines in (where readline reads ahead).
 */
export class LineReader {
  readonly #lines: string[] = [];
  readonly #waiting: ((line: string | null) => void)[] = [];
  #closed = false;
  readonly #rl;

  constructor(input: NodeJS.ReadableStream = process.stdin) {
    this.#rl = createInterface({ input, terminal: false });
    this.#rl.on('line', (line) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(line);
      else this.#lines.push(line);
    });
    this.#rl.on('close', () => {
      this.#closed = true;
      for (const waiter of this.#waiting.splice(0)) waiter(null);
    });
  }

  /** The next line, or null once the input has ended. */
  next(): Promise<string | null> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async question(prompt: string): Promise<string> {
    process.stdout.write(prompt);
    return (await this.next()) ?? '';
  }

  /** True once the input has ended and every line has been read. */
  get ended(): boolean {
    return this.#closed && this.#lines.length === 0;
  }

  close(): void {
    this.#rl.close();
  }
}
