import type { Verifier } from '../../core/ports/verifier.ts';

/** Asks a verification URL once, with a short timeout; any network failure is simply "not yet". */
export class HttpVerifier implements Verifier {
  readonly #timeoutMs: number;

  constructor(timeoutMs = 5_000) {
    this.#timeoutMs = timeoutMs;
  }

  async check(url: string, expect: number): Promise<{ passed: boolean; detail: string }> {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.#timeoutMs), redirect: 'manual' });
      await res.arrayBuffer();
      return { passed: res.status === expect, detail: `${url} answered ${res.status}, expected ${expect}` };
    } catch (error) {
      return { passed: false, detail: `${url} did not answer: ${(error as Error).message}` };
    }
  }
}
