import { Logger } from '@nestjs/common';
import { automock } from '../testing/automock';
import { PeriodicTask } from './periodic-task';

/** A job whose runs end only when the test says so. */
function gatedJob() {
  const runs: { release: () => void; fail: (error: Error) => void; stopped: () => boolean }[] = [];
  const job = jest.fn(
    (stopped: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        runs.push({ release: resolve, fail: reject, stopped });
      }),
  );
  return { job, runs };
}

const settle = async () => {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
};

describe('PeriodicTask', () => {
  /** Failures are all a task logs. */
  const logger = () => {
    const log = automock(Logger);
    log.error.mockReturnValue(undefined);
    return log;
  };
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs on its interval, never two runs at once', async () => {
    const { job, runs } = gatedJob();
    const task = new PeriodicTask({ name: 'sweep', intervalMs: 100, logger: logger() }, job);
    task.start();
    await jest.advanceTimersByTimeAsync(99);
    expect(job).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(job).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(500); // the run takes long: the ticks meanwhile start nothing
    expect(job).toHaveBeenCalledTimes(1);
    runs[0].release();
    await settle();
    await jest.advanceTimersByTimeAsync(100);
    expect(job).toHaveBeenCalledTimes(2);
    runs[1].release();
    await task.stop();
  });

  it('runs first after firstDelayMs when given, then on the interval', async () => {
    const job = jest.fn(async () => undefined);
    const task = new PeriodicTask({ name: 'heartbeat', intervalMs: 1000, firstDelayMs: 10, logger: logger() }, job);
    task.start();
    task.start(); // a second start adds no timers
    await jest.advanceTimersByTimeAsync(10);
    expect(job).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(990);
    expect(job).toHaveBeenCalledTimes(2);
    await task.stop();
  });

  it('logs a failed run and runs again on the next tick', async () => {
    const log = logger();
    const job = jest.fn().mockRejectedValueOnce(new Error('redis down')).mockResolvedValue(undefined);
    const task = new PeriodicTask({ name: 'grace sweep', intervalMs: 100, logger: log }, job);
    task.start();
    await jest.advanceTimersByTimeAsync(100);
    expect(log.error).toHaveBeenCalledWith({ err: expect.objectContaining({ message: 'redis down' }) }, 'grace sweep failed');
    await jest.advanceTimersByTimeAsync(100);
    expect(job).toHaveBeenCalledTimes(2);
    expect(log.error).toHaveBeenCalledTimes(1);
    await task.stop();
  });

  it('stop() waits for the run in progress, tells it to end, and no run starts after it', async () => {
    const { job, runs } = gatedJob();
    const task = new PeriodicTask({ name: 'flush', intervalMs: 100, logger: logger() }, job);
    task.start();
    await jest.advanceTimersByTimeAsync(100);
    expect(runs[0].stopped()).toBe(false);
    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    await settle();
    expect(runs[0].stopped()).toBe(true);
    expect(stopped).toBe(false);
    runs[0].release();
    await stopping;
    expect(stopped).toBe(true);
    await jest.advanceTimersByTimeAsync(1000);
    await task.runNow();
    task.start();
    await jest.advanceTimersByTimeAsync(1000);
    expect(job).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('runNow() joins the run in progress instead of starting another, and never rejects', async () => {
    const { job, runs } = gatedJob();
    const log = logger();
    const task = new PeriodicTask({ name: 'last seen', intervalMs: 100, logger: log }, job);
    const first = task.runNow();
    const joined = task.runNow();
    expect(joined).toBe(first);
    expect(job).toHaveBeenCalledTimes(1);
    runs[0].fail(new Error('disk full'));
    await expect(joined).resolves.toBeUndefined();
    expect(log.error).toHaveBeenCalledTimes(1);
    const next = task.runNow();
    expect(next).not.toBe(first);
    expect(job).toHaveBeenCalledTimes(2);
    runs[1].release();
    await next;
    await task.stop();
  });
});
