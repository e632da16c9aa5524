import { describe, expect, it } from 'vitest';
import { TickBatcher, type BatchOutcome } from '../../src/jobs/tick-batcher.ts';

const turn = () => new Promise((resolve) => setImmediate(resolve));

function outcome(ids: number[], options: { failed?: Record<number, Error>; busy?: number[]; missing?: number[] } = {}): BatchOutcome<string> {
  const skip = new Set([...Object.keys(options.failed ?? {}).map(Number), ...(options.busy ?? []), ...(options.missing ?? [])]);
  return {
    releases: new Map(ids.filter((id) => !skip.has(id)).map((id) => [id, `state of ${id}`])),
    failed: new Map(Object.entries(options.failed ?? {}).map(([id, e]) => [Number(id), e])),
    busy: options.busy ?? [],
  };
}

describe('TickBatcher', () => {
  it('ticks the releases asked for in the same turn together, once each', async () => {
    const runs: number[][] = [];
    const batcher = new TickBatcher(async (ids) => {
      runs.push(ids);
      return outcome(ids);
    });
    const results = await Promise.all([batcher.tick(1), batcher.tick(2), batcher.tick(1), batcher.tick(3)]);
    expect(results).toEqual(['state of 1', 'state of 2', 'state of 1', 'state of 3']);
    expect(runs).toEqual([[1, 2, 3]]);
  });

  it('answers undefined for a release that does not exist', async () => {
    const batcher = new TickBatcher(async (ids) => outcome(ids, { missing: [9] }));
    expect(await Promise.all([batcher.tick(8), batcher.tick(9)])).toEqual(['state of 8', undefined]);
  });

  it('fails only the release whose tick threw', async () => {
    const runs: number[][] = [];
    const batcher = new TickBatcher(async (ids) => {
      runs.push(ids);
      return outcome(ids, { failed: { 5: new Error('release 5 is broken') } });
    });
    const results = await Promise.allSettled([batcher.tick(4), batcher.tick(5), batcher.tick(6)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('release 5 is broken');
    expect(runs).toEqual([[4, 5, 6]]);
  });

  it('goes again release by release when the whole batch fails', async () => {
    const runs: number[][] = [];
    const batcher = new TickBatcher(async (ids) => {
      runs.push(ids);
      if (ids.length > 1) throw new Error('connection lost');
      return outcome(ids);
    });
    expect(await Promise.all([batcher.tick(1), batcher.tick(2)])).toEqual(['state of 1', 'state of 2']);
    expect(runs).toEqual([[1, 2], [1], [2]]);
  });

  it('ticks a release someone else holds on its own, waiting for it, without holding up the rest', async () => {
    const calls: { ids: number[]; wait: boolean }[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const batcher = new TickBatcher(async (ids, wait) => {
      calls.push({ ids, wait });
      if (wait) await held;
      return outcome(ids, { busy: wait ? [] : [2] });
    });
    const busy = batcher.tick(2);
    const others = Promise.all([batcher.tick(1), batcher.tick(3)]);
    expect(await others).toEqual(['state of 1', 'state of 3']);
    release();
    expect(await busy).toBe('state of 2');
    expect(calls).toEqual([{ ids: [2, 1, 3], wait: false }, { ids: [2], wait: true }]);
  });

  it('never runs a release in two batches at once: a second request waits for the next batch', async () => {
    const gates: (() => void)[] = [];
    const runs: number[][] = [];
    const batcher = new TickBatcher(async (ids) => {
      runs.push(ids);
      await new Promise<void>((resolve) => gates.push(resolve));
      return outcome(ids);
    });
    const first = Promise.all([batcher.tick(1), batcher.tick(2)]);
    await turn();
    const again = Promise.all([batcher.tick(1), batcher.tick(3)]);
    await turn();
    expect(runs).toEqual([[1, 2], [3]]);
    gates.shift()!();
    await first;
    while (runs.length < 3) await turn();
    expect(runs[2]).toEqual([1]);
    while (gates.length) gates.shift()!();
    await again;
  });

  it('keeps at most maxInFlight batches running and gathers what arrives meanwhile into the next', async () => {
    const gates: (() => void)[] = [];
    const runs: number[][] = [];
    let running = 0;
    let most = 0;
    const batcher = new TickBatcher(
      async (ids) => {
        runs.push(ids);
        most = Math.max(most, ++running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
        return outcome(ids);
      },
      { maxInFlight: 1, maxBatch: 2 },
    );
    const first = [batcher.tick(1), batcher.tick(2), batcher.tick(3)];
    await turn();
    const later = [batcher.tick(4), batcher.tick(5)];
    while (runs.length < 3 || gates.length) {
      await turn();
      gates.shift()?.();
    }
    await Promise.all([...first, ...later]);
    expect(most).toBe(1);
    expect(runs).toEqual([[1, 2], [3, 4], [5]]);
  });
});
