/** Asks a wave's verification URL once. */
export interface Verifier {
  check(url: string, expect: number): Promise<{ passed: boolean; detail: string }>;
}
