import { describe, expect, it } from 'vitest';
import { TickBatcher } from '../../src/jobs/tick-batcher.ts';

describe('TickBatcher', () => {
  it('ticks the releases asked for in the same turn together, once each', async () => {
    const runs: number[][] = [];
    const batcher = new TickBatcher(async (ids) => {
      runs.push(ids);
      return new Map(ids.map((id) => [id, `state of ${id}`]));
    });
    const results = await Promise.all([batcher.tick(1), batcher.tick(2), batcher.tick(1), batcher.tick(3)]);
    expect(results).toEqual(['state of 1', 'state of 2', 'state of 1', 'state of 3']);
    expect(runs).toEqual([[1, 2, 3]]);
  });

  it('answers undefined for a release the run did not find', async () => {
    const batcher = new TickBatcher(async (ids) => new Map(ids.filter((id) => id !== 9).map((id) => [id, 'ok'])));
    expect(await Promise.all([batcher.tick(8), batcher.tick(9)])).toEqual(['ok', undefined]);
  });

  it('goes again one by one when a batch fails, so only the release at fault fails', async () => {
    const runs: number[][] = [];
    const batcher = new TickBatcher(async (ids) => {
      runs.push(ids);
      if (ids.includes(5)) throw new Error('release 5 is broken');
      return new Map(ids.map((id) => [id, 'ok']));
    });
    const results = await Promise.allSettled([batcher.tick(4), batcher.tick(5), batcher.tick(6)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('release 5 is broken');
    expect(runs[0]).toEqual([4, 5, 6]);
    expect(runs.slice(1).sort()).toEqual([[4], [5], [6]]);
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
        return new Map(ids.map((id) => [id, 'ok']));
      },
      { maxInFlight: 1, maxBatch: 2 },
    );
    const first = [batcher.tick(1), batcher.tick(2), batcher.tick(3)];
    await new Promise((resolve) => setImmediate(resolve));
    const later = [batcher.tick(4), batcher.tick(5)];
    while (runs.length < 3 || gates.length) {
      await new Promise((resolve) => setImmediate(resolve));
      gates.shift()?.();
    }
    await Promise.all([...first, ...later]);
    expect(most).toBe(1);
    expect(runs).toEqual([[1, 2], [3, 4], [5]]);
  });
});
