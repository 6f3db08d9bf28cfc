import { IN_BATCH_SIZE, inBatches } from './in-batches';

describe('inBatches', () => {
  it('runs nothing for no values', async () => {
    const run = jest.fn(async (chunk: number[]) => chunk);
    expect(await inBatches([], run)).toEqual([]);
    expect(run).not.toHaveBeenCalled();
  });

  it('splits into chunks of at most the size, in order, and concatenates the results', async () => {
    const values = Array.from({ length: 2501 }, (_, i) => i);
    const chunks: number[][] = [];
    const result = await inBatches(values, async (chunk) => {
      chunks.push(chunk);
      return chunk.filter((v) => v % 2 === 0).map((v) => `v${v}`);
    });
    expect(chunks.map((c) => c.length)).toEqual([IN_BATCH_SIZE, IN_BATCH_SIZE, 501]);
    expect(chunks.flat()).toEqual(values);
    expect(result).toEqual(values.filter((v) => v % 2 === 0).map((v) => `v${v}`));
  });

  it('uses one chunk for exactly the size, and honours a smaller size', async () => {
    const run = jest.fn(async (chunk: number[]) => chunk);
    await inBatches(
      Array.from({ length: IN_BATCH_SIZE }, (_, i) => i),
      run,
    );
    expect(run).toHaveBeenCalledTimes(1);
    const sizes: number[] = [];
    await inBatches([1, 2, 3, 4, 5], async (chunk) => (sizes.push(chunk.length), chunk), 2);
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('runs one chunk at a time and stops at the first failure', async () => {
    let running = 0;
    let maxRunning = 0;
    const seen: number[] = [];
    const failing = inBatches(
      [1, 2, 3, 4],
      async (chunk) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running -= 1;
        seen.push(chunk[0]);
        if (chunk[0] === 2) throw new Error('boom');
        return chunk;
      },
      1,
    );
    await expect(failing).rejects.toThrow('boom');
    expect(seen).toEqual([1, 2]);
    expect(maxRunning).toBe(1);
  });

  it('refuses a size that is not a positive integer', async () => {
    await expect(inBatches([1], async (c) => c, 0)).rejects.toThrow(RangeError);
    await expect(inBatches([1], async (c) => c, 1.5)).rejects.toThrow(RangeError);
  });
});
