import { describe, expect, it } from 'vitest';
import { WorkSlots } from '../../src/bot/middleware/work-slots.ts';
import { missingHeapFlags } from '../../src/heap-flags.ts';

describe('WorkSlots', () => {
  it('lets `size` holders in at once and the next in turn as each leaves', async () => {
    const slots = new WorkSlots(2);
    expect(await slots.acquire()).toBe(true);
    expect(await slots.acquire()).toBe(true);
    const order: string[] = [];
    const third = slots.acquire().then(() => order.push('third'));
    const fourth = slots.acquire().then(() => order.push('fourth'));
    expect(slots.running).toBe(2);
    slots.release();
    await third;
    expect(order).toEqual(['third']);
    slots.release();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
  });

  it('gives up on a full set after the wait it was given, and that waiter takes no turn later', async () => {
    const slots = new WorkSlots(1);
    await slots.acquire();
    expect(await slots.acquire(5)).toBe(false);
    slots.release();
    expect(slots.running).toBe(0);
  });

  it('says when everything taken is done', async () => {
    const slots = new WorkSlots(3);
    expect(await slots.drained(0)).toBe(true);
    await slots.acquire();
    await slots.acquire();
    expect(await slots.drained(5)).toBe(false);
    const done = slots.drained(60_000);
    slots.release();
    slots.release();
    expect(await done).toBe(true);
  });
});

describe('the heap flags relm starts with', () => {
  it('are added unless the operator gave their own, in NODE_OPTIONS or on the command line', () => {
    expect(missingHeapFlags([], '')).toEqual(['--max-old-space-size=1024', '--max-semi-space-size=8']);
    expect(missingHeapFlags(['--max-old-space-size=4096'], '')).toEqual(['--max-semi-space-size=8']);
    expect(missingHeapFlags([], '--max_semi_space_size=32 --max-old-space-size=512')).toEqual([]);
  });
});
