import { loadConfig } from '../../config/app-config';
import type { DueDeadline } from './grace-deadlines';
import { GracePeriods, sweepIntervalMs } from './grace-periods';
import { InMemoryGraceDeadlines } from './in-memory-grace-deadlines';

describe('GracePeriods', () => {
  const config = loadConfig({ PRESENCE_GRACE_MS: '1000' });
  /** An instance of the service with one kind, `offline`, whose handler records what ended. */
  const instance = (deadlines = new InMemoryGraceDeadlines()) => {
    const grace = new GracePeriods(deadlines, config);
    const ended: DueDeadline[][] = [];
    const offline = grace.kind('offline', async (due) => void ended.push([...due]));
    return { grace, offline, ended, deadlines };
  };
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('calls the handler of its kind once, with the id and payload, when a period is due', async () => {
    const { grace, offline, ended } = instance();
    const other = grace.kind('modals', async () => {
      throw new Error('not this kind');
    });
    grace.onApplicationBootstrap(); // the sweep runs too: still one decision per period
    await offline.start('u1', 'epoch-7', 1000);
    await jest.advanceTimersByTimeAsync(999);
    expect(ended).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(ended).toEqual([[{ id: 'u1', payload: 'epoch-7' }]]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(ended).toHaveLength(1);
    expect([...other.pendingIds()]).toEqual([]);
    await grace.beforeApplicationShutdown();
    grace.onApplicationShutdown();
  });

  it('decides the periods due at once in one take and one handler call; one started later keeps its timer', async () => {
    const { offline, ended, deadlines } = instance();
    const take = jest.spyOn(deadlines, 'takeIfDue');
    await offline.start('u1', 'e1', 1000);
    await offline.start('later', 'e4', 2000);
    await offline.start('u2', 'e2', 1000);
    await offline.start('u3', 'e3', 1000);
    await offline.cancel('u3');
    await offline.start('orphan', 'e5', 0);
    await jest.advanceTimersByTimeAsync(0);
    expect(ended).toEqual([[{ id: 'orphan', payload: 'e5' }]]);
    await jest.advanceTimersByTimeAsync(1000);
    // u1's timer fires first and takes nothing past 'later' (not due); u2's timer then fires alone.
    expect(take.mock.calls.map(([, ids]) => ids)).toEqual([['orphan'], ['u1'], ['u2']]);
    take.mockClear();
    ended.length = 0;
    // Due together (an event loop too busy to fire each timer on time): one take, one decision.
    await offline.start('a', 'pa', 1000);
    await offline.start('b', 'pb', 1000);
    await offline.start('c', 'pc', 1000);
    jest.setSystemTime(Date.now() + 1500);
    await jest.advanceTimersByTimeAsync(1000);
    expect(take.mock.calls.map(([, ids]) => ids)).toEqual([['later', 'a', 'b', 'c']]);
    expect(ended).toEqual([
      [
        { id: 'later', payload: 'e4' },
        { id: 'a', payload: 'pa' },
        { id: 'b', payload: 'pb' },
        { id: 'c', payload: 'pc' },
      ],
    ]);
    expect([...offline.pendingIds()]).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('restarts a period started again, and ends none that was cancelled', async () => {
    const { offline, ended } = instance();
    await offline.start('u1', 'first', 1000);
    await jest.advanceTimersByTimeAsync(500);
    await offline.start('u1', 'second', 1000);
    await offline.start('u2', 'x', 1000);
    await offline.cancel('u2');
    await jest.advanceTimersByTimeAsync(999);
    expect(ended).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(ended).toEqual([[{ id: 'u1', payload: 'second' }]]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(ended).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("lets another instance's sweep decide a period whose timer went with its instance", async () => {
    const shared = new InMemoryGraceDeadlines();
    const gone = instance(shared);
    const survivor = instance(shared);
    survivor.grace.onApplicationBootstrap();
    await gone.offline.start('u1', 'epoch-3', 1000);
    gone.grace.onApplicationShutdown(); // SIGTERM: its timers stop, the deadline stays
    await jest.advanceTimersByTimeAsync(1000 + sweepIntervalMs(config.presenceGraceMs));
    expect(gone.ended).toEqual([]);
    expect(survivor.ended).toEqual([[{ id: 'u1', payload: 'epoch-3' }]]);
    await survivor.grace.beforeApplicationShutdown();
    survivor.grace.onApplicationShutdown();
  });

  it('decides nothing once shut down, and starts no new period', async () => {
    const { grace, offline, ended, deadlines } = instance();
    grace.onApplicationBootstrap();
    await offline.start('u1', 'p', 1000);
    await grace.beforeApplicationShutdown();
    grace.onApplicationShutdown();
    expect(grace.stopped).toBe(true);
    await offline.start('u2', 'p', 10);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(ended).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
    // The deadline of u1 stays for the other instances; u2's was never written.
    expect(await deadlines.takeDue('offline', Date.now(), 10)).toEqual([{ id: 'u1', payload: 'p' }]);
  });

  it('lists the ids with a timer here, also after shutdown (the last shutdown hooks ask)', async () => {
    const { grace, offline } = instance();
    await offline.start('u1', 'p', 1000);
    await offline.start('u2', 'p', 2000);
    await offline.start('u3', 'p', 3000);
    await offline.cancel('u3');
    expect([...offline.pendingIds()]).toEqual(['u1', 'u2']);
    await jest.advanceTimersByTimeAsync(1000);
    expect([...offline.pendingIds()]).toEqual(['u2']);
    grace.onApplicationShutdown();
    expect([...offline.pendingIds()]).toEqual(['u2']);
  });
});
