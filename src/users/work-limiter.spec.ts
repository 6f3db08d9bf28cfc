import { QueueFullError, WorkLimiter } from './work-limiter';

/** A job the test finishes by hand. */
function deferred() {
  let resolve!: (value: string) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('WorkLimiter', () => {
  it('runs at most `concurrency` jobs at once and starts the waiting ones in arrival order', async () => {
    const limiter = new WorkLimiter(2, 10, 100);
    const jobs = Array.from({ length: 5 }, () => deferred());
    const started: number[] = [];
    const results = jobs.map((job, i) =>
      limiter.run(() => {
        started.push(i);
        return job.promise;
      }),
    );
    const settled = Promise.allSettled(results);
    await flush();
    expect(started).toEqual([0, 1]);
    expect(limiter.active).toBe(2);
    expect(limiter.queued).toBe(3);

    jobs[1].resolve('b');
    await flush();
    expect(started).toEqual([0, 1, 2]);
    expect(limiter.active).toBe(2);

    jobs[0].reject(new Error('boom'));
    await flush();
    expect(started).toEqual([0, 1, 2, 3]);
    jobs[2].resolve('c');
    jobs[3].resolve('d');
    await flush();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    jobs[4].resolve('e');

    expect((await settled).map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      'boom',
      'b',
      'c',
      'd',
      'e',
    ]);
    expect(limiter.active).toBe(0);
    expect(limiter.queued).toBe(0);
  });

  it('refuses a job past the queue bound at once, without running it, and accepts again once there is room', async () => {
    const limiter = new WorkLimiter(1, 2, 100);
    const jobs = Array.from({ length: 3 }, () => deferred());
    const accepted = jobs.map((job) => limiter.run(() => job.promise));
    const refusedJob = jest.fn(() => Promise.resolve('never'));
    await expect(limiter.run(refusedJob)).rejects.toBeInstanceOf(QueueFullError);
    expect(refusedJob).not.toHaveBeenCalled();
    expect(limiter.queued).toBe(2);

    jobs[0].resolve('a');
    await flush();
    // One waiting job started, so one place in the queue is free again.
    const late = limiter.run(() => Promise.resolve('late'));
    await expect(limiter.run(refusedJob)).rejects.toBeInstanceOf(QueueFullError);
    jobs[1].resolve('b');
    jobs[2].resolve('c');
    expect(await Promise.all([...accepted, late])).toEqual(['a', 'b', 'c', 'late']);
  });

  it('with a queue bound of 0 only runs what fits in the concurrency', async () => {
    const limiter = new WorkLimiter(2, 0, 100);
    const jobs = [deferred(), deferred()];
    const running = jobs.map((job) => limiter.run(() => job.promise));
    await expect(limiter.run(() => Promise.resolve('x'))).rejects.toBeInstanceOf(QueueFullError);
    jobs.forEach((job) => job.resolve('ok'));
    await Promise.all(running);
  });

  it('estimates retryAfterMs from the backlog and the measured job duration', async () => {
    let clock = 0;
    const limiter = new WorkLimiter(2, 4, 100, () => clock);
    const jobs = Array.from({ length: 6 }, () => deferred());
    const runs = jobs.map((job) => limiter.run(() => job.promise));
    // 2 running + 4 waiting over 2 slots at the initial 100 ms = 300 ms.
    const refused = await limiter.run(() => Promise.resolve('x')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QueueFullError);
    expect((refused as QueueFullError).retryAfterMs).toBe(300);

    // A job measured at 600 ms moves the average towards it (0.8 × 100 + 0.2 × 600 = 200 ms).
    clock = 600;
    jobs[0].resolve('a');
    await flush();
    expect(limiter.jobMs).toBeCloseTo(200);
    // Still 2 running + 3 waiting: 2.5 × 200 ms.
    expect(limiter.retryAfterMs()).toBe(500);

    jobs.slice(1).forEach((job) => job.resolve('ok'));
    await Promise.all(runs);
    expect(limiter.retryAfterMs()).toBe(1);
  });
});
