import { loadConfig } from '../../config/app-config';
import { fakeSocket, fakeSocketUser } from '../../testing/fake-socket';
import { EventLimits, type LimitVerdict } from './event-limits';
import { UserEventBudgets, type Lease, type SharedTokenBuckets } from './user-event-budget';

/** A shared bucket whose leases are answered when the test says so. */
class HeldShared implements SharedTokenBuckets {
  private readonly held: ((lease: Lease) => void)[] = [];

  lease(): Promise<Lease> {
    return new Promise((resolve) => this.held.push(resolve));
  }

  grant(granted: number): void {
    this.held.splice(0).forEach((answer) => answer({ granted, retryAfterMs: 0 }));
  }
}

const bob = { ...fakeSocketUser, id: 'u2', username: 'bob' };

function setup(env: Record<string, string>, shared?: SharedTokenBuckets) {
  const { rateLimit } = loadConfig({ RATE_LIMIT_DISCONNECT_AFTER: '1000', ...env });
  const budgets = new UserEventBudgets(rateLimit.userEventsPerSecond, rateLimit.userBurst, shared);
  const limits = new EventLimits(rateLimit, budgets);
  const socket = (id: string, user = fakeSocketUser) => {
    const s = fakeSocket(id, { user });
    limits.track(s);
    return s;
  };
  /** Verdicts of `n` events of `s`, all answered synchronously. */
  const take = (s: ReturnType<typeof socket>, n = 1): LimitVerdict[] =>
    Array.from({ length: n }, () => {
      const verdict = limits.take(s);
      if (verdict instanceof Promise) throw new Error('expected a synchronous verdict');
      return verdict;
    });
  return { limits, budgets, socket, take };
}

const allowed = { allowed: true };
const refused = (retryAfterMs: number, disconnect = false) => ({ allowed: false, retryAfterMs, disconnect });

describe('EventLimits', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it("asks the socket's bucket first, then its user's budget across the user's sockets", () => {
    const { socket, take } = setup({
      RATE_LIMIT_EVENTS_PER_SEC: '10',
      RATE_LIMIT_BURST: '2',
      RATE_LIMIT_USER_EVENTS_PER_SEC: '10',
      RATE_LIMIT_USER_BURST: '3',
    });
    const tab1 = socket('a');
    const tab2 = socket('b');
    expect(take(tab1, 3)).toEqual([allowed, allowed, refused(100)]);
    // tab1's refusal came from its own bucket and spent none of the user's budget: one is left.
    expect(take(tab2, 2)).toEqual([allowed, refused(100)]);
    // Another user's socket has a budget of its own.
    expect(take(socket('c', bob), 2)).toEqual([allowed, allowed]);
  });

  it("gives the socket's token back when the user's budget refuses the event", () => {
    const { socket, take } = setup({
      RATE_LIMIT_EVENTS_PER_SEC: '1',
      RATE_LIMIT_BURST: '3',
      RATE_LIMIT_USER_EVENTS_PER_SEC: '10',
      RATE_LIMIT_USER_BURST: '1',
    });
    const tab = socket('a');
    expect(take(tab, 3)).toEqual([allowed, refused(100), refused(100)]);
    // The socket's bucket (1/s) still has the two tokens the refused events took and gave back.
    jest.advanceTimersByTime(100);
    expect(take(tab, 2)).toEqual([allowed, refused(100)]);
    // Now the third of the socket's burst went to an allowed event: its own bucket refuses again.
    jest.advanceTimersByTime(100);
    expect(take(tab, 2)).toEqual([allowed, refused(800)]);
  });

  it('says to disconnect after RATE_LIMIT_DISCONNECT_AFTER refusals in a row; an allowed event starts the count over', () => {
    const { socket, take } = setup({ RATE_LIMIT_EVENTS_PER_SEC: '10', RATE_LIMIT_BURST: '1', RATE_LIMIT_DISCONNECT_AFTER: '3' });
    const tab = socket('a');
    expect(take(tab, 3)).toEqual([allowed, refused(100), refused(100)]);
    jest.advanceTimersByTime(100);
    expect(take(tab, 4)).toEqual([allowed, refused(100), refused(100), refused(100, true)]);
    expect(take(tab)).toEqual([refused(100, true)]);
  });

  it('answers synchronously unless a lease from the shared bucket is pending', async () => {
    const shared = new HeldShared();
    const { limits, socket, take } = setup(
      { RATE_LIMIT_EVENTS_PER_SEC: '100', RATE_LIMIT_BURST: '100', RATE_LIMIT_USER_EVENTS_PER_SEC: '100', RATE_LIMIT_USER_BURST: '100' },
      shared,
    );
    const tab = socket('a');
    const first = limits.take(tab);
    expect(first).toBeInstanceOf(Promise);
    shared.grant(10);
    expect(await first).toEqual(allowed);
    // Leased tokens are spent without waiting.
    expect(take(tab, 3)).toEqual([allowed, allowed, allowed]);
  });

  it("holds the user's budget while their socket is connected, and lets go on disconnect", () => {
    const { budgets, socket, take } = setup({});
    const tab = socket('a');
    expect(budgets.size).toBe(0); // taken at the first event, not at connect
    take(tab);
    expect(budgets.size).toBe(1);
    const [event, onDisconnect] = tab.on.mock.calls[0] as [string, () => void];
    expect(event).toBe('disconnect');
    onDisconnect();
    expect(budgets.size).toBe(0);
  });
});
