import { LEASE_PENDING, UserEventBudgets, type Lease, type SharedTokenBuckets } from './user-event-budget';

/** A shared bucket in memory, with the same refill rule as the Redis script, on a fake clock. */
class FakeShared implements SharedTokenBuckets {
  tokens: number;
  at: number;
  calls: number[] = [];
  /** Leases answered only when the test says so (`answer()`), to see what waits. */
  hold = false;
  fail = false;
  private held: (() => void)[] = [];

  constructor(
    private readonly clock: { now: number },
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
    this.at = clock.now;
  }

  lease(_userId: string, want: number): Promise<Lease> {
    this.calls.push(want);
    const decide = (): Lease => {
      if (this.fail) throw new Error('redis down');
      this.tokens = Math.min(this.burst, this.tokens + ((this.clock.now - this.at) * this.perSecond) / 1000);
      this.at = this.clock.now;
      const granted = Math.min(want, Math.floor(this.tokens));
      this.tokens -= granted;
      return { granted, retryAfterMs: granted < want ? Math.ceil(((1 - (this.tokens % 1)) * 1000) / this.perSecond) : 0 };
    };
    if (!this.hold) return Promise.resolve().then(decide);
    return new Promise((resolve, reject) =>
      this.held.push(() => {
        try {
          resolve(decide());
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      }),
    );
  }

  answer(): void {
    this.held.splice(0).forEach((go) => go());
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('UserEventBudgets (single instance: local bucket only)', () => {
  it('allows the burst per user, refuses with the wait until the next token, and refills', () => {
    const clock = { now: 0 };
    const budgets = new UserEventBudgets(10, 3, undefined, () => clock.now);
    const a = budgets.retain('u1');
    const sameUser = budgets.retain('u1');
    expect(sameUser).toBe(a);
    expect([a.take(), sameUser.take(), a.take()]).toEqual([0, 0, 0]);
    expect(sameUser.take()).toBe(100);
    // Another user has a budget of their own.
    expect(budgets.retain('u2').take()).toBe(0);
    clock.now = 100;
    expect(a.take()).toBe(0);
  });

  it('keeps state only while the user has sockets here', () => {
    const budgets = new UserEventBudgets(10, 3);
    const a = budgets.retain('u1');
    budgets.retain('u1');
    budgets.retain('u2');
    expect(budgets.size).toBe(2);
    budgets.release(a);
    expect(budgets.size).toBe(2);
    budgets.release(a);
    expect(budgets.size).toBe(1);
    // A later socket of the same user starts a fresh entry.
    expect(budgets.retain('u1')).not.toBe(a);
  });
});

describe('UserEventBudgets (several instances: leases from a shared bucket)', () => {
  it('waits for the first lease, then spends leased tokens without asking per event', async () => {
    const clock = { now: 0 };
    const shared = new FakeShared(clock, 10, 100);
    const budgets = new UserEventBudgets(10, 100, shared, () => clock.now);
    const budget = budgets.retain('u1');
    expect(budgets.chunk).toBe(10);
    expect(budget.take()).toBe(LEASE_PENDING);
    expect(await budget.acquire()).toBe(0);
    expect(shared.calls).toEqual([10]);
    // 9 tokens left locally: the next 4 need no lease, the 5th leaves less than half a chunk and prefetches.
    for (let i = 0; i < 4; i++) expect(budget.take()).toBe(0);
    expect(shared.calls).toHaveLength(1);
    expect(budget.take()).toBe(0);
    expect(shared.calls).toEqual([10, 6]);
    await flush();
    for (let i = 0; i < 10; i++) expect(budget.take()).toBe(0);
    expect(shared.calls.length).toBeLessThanOrEqual(4);
  });

  it('holds across instances: two instances together get the shared burst, not one each', async () => {
    const clock = { now: 0 };
    const shared = new FakeShared(clock, 1, 20);
    const instanceA = new UserEventBudgets(1, 20, shared, () => clock.now).retain('u1');
    const instanceB = new UserEventBudgets(1, 20, shared, () => clock.now).retain('u1');
    let allowed = 0;
    let refused = 0;
    for (let i = 0; i < 20; i++) {
      for (const budget of [instanceA, instanceB]) {
        let wait = budget.take();
        if (wait === LEASE_PENDING) wait = await budget.acquire();
        if (wait === 0) allowed += 1;
        else {
          refused += 1;
          expect(wait).toBeGreaterThan(0);
        }
      }
    }
    // Each instance's local bucket alone would have allowed 20 + 20.
    expect(allowed).toBe(20);
    expect(refused).toBe(20);
    // Refilled by time in the shared bucket.
    clock.now = 3000;
    let wait = instanceA.take();
    if (wait === LEASE_PENDING) wait = await instanceA.acquire();
    expect(wait).toBe(0);
  });

  it('answers events waiting for a lease in arrival order and leases enough for all of them', async () => {
    const clock = { now: 0 };
    const shared = new FakeShared(clock, 10, 100);
    shared.hold = true;
    const budget = new UserEventBudgets(10, 100, shared, () => clock.now).retain('u1');
    const order: number[] = [];
    const pending = Array.from({ length: 15 }, (_, i) => {
      expect(budget.take()).toBe(LEASE_PENDING);
      return budget.acquire().then((wait) => order.push(wait === 0 ? i : -i));
    });
    shared.answer();
    await flush();
    shared.answer();
    await Promise.all(pending);
    expect(order).toEqual(Array.from({ length: 15 }, (_, i) => i));
    // One lease for the first waiter's chunk, the second for the rest still waiting.
    expect(shared.calls[0]).toBe(10);
    expect(shared.calls.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(15);
  });

  it('refuses once the shared bucket is empty, with the wait until the next token, without asking again before', async () => {
    const clock = { now: 0 };
    const shared = new FakeShared(clock, 10, 20);
    const budget = new UserEventBudgets(10, 20, shared, () => clock.now).retain('u1');
    shared.tokens = 2;
    expect(budget.take()).toBe(LEASE_PENDING);
    expect(await budget.acquire()).toBe(0);
    // The last leased token; the prefetch it starts comes back empty.
    expect(budget.take()).toBe(0);
    await flush();
    expect(shared.calls).toEqual([2, 2]);
    const wait = budget.take();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(100);
    expect(budget.take()).toBeGreaterThan(0);
    expect(shared.calls).toHaveLength(2);
    // Once the wait is over, the next event asks again and gets the refilled token.
    clock.now += wait;
    expect(budget.take()).toBe(LEASE_PENDING);
    expect(await budget.acquire()).toBe(0);
  });

  it('falls back to the local bucket at once while the shared one is unreachable, and retries later', async () => {
    const clock = { now: 0 };
    const shared = new FakeShared(clock, 10, 100);
    shared.fail = true;
    const budget = new UserEventBudgets(10, 3, shared, () => clock.now).retain('u1');
    expect(budget.take()).toBe(LEASE_PENDING);
    expect(await budget.acquire()).toBe(0);
    // Offline: local bucket only (burst 3), no lease per event.
    expect([budget.take(), budget.take()]).toEqual([0, 0]);
    expect(budget.take()).toBeGreaterThan(0);
    expect(shared.calls).toHaveLength(1);
    shared.fail = false;
    clock.now = 1000;
    expect(budget.take()).toBe(0);
    expect(shared.calls).toHaveLength(2);
    await flush();
    // Back on leases.
    expect(budget.take()).toBe(0);
  });
});
