import { describeStore } from '../testing/store-suite';
import { type PresenceStore } from './presence.store';
import { InMemoryPresenceStore } from './in-memory-presence.store';
import { RedisPresenceStore } from './redis-presence.store';

describeStore<PresenceStore>(
  'PresenceStore',
  { inMemory: () => new InMemoryPresenceStore(), redis: (client, prefix) => new RedisPresenceStore(client, prefix) },
  ({ it, newStore }) => {
    it('reports coming online only once until the user went offline', async () => {
      const store = newStore();
      expect((await store.connect('u1')).cameOnline).toBe(true);
      expect((await store.connect('u1')).cameOnline).toBe(false);
      const epoch = (await store.epoch('u1'))!;
      expect(await store.goOffline('u1', epoch)).toEqual({ status: 'online' });
      expect(await store.goOffline('u1', epoch)).toBeUndefined();
      expect((await store.connect('u1')).cameOnline).toBe(true);
    });

    it('refuses a stale offline decision after a reconnect', async () => {
      const store = newStore();
      await store.connect('u1');
      const epoch = (await store.epoch('u1'))!;
      await store.connect('u1');
      expect(await store.goOffline('u1', epoch)).toBeUndefined();
      expect(await store.userIdsPage(undefined, 10)).toEqual({ ids: ['u1'], hasMore: false });
    });

    it('keeps the status across a reconnect and resets it after going offline', async () => {
      const store = newStore();
      await store.connect('u1');
      expect(await store.update('u1', { status: 'busy', statusText: 'call' })).toEqual({
        previous: { status: 'online' },
        current: { status: 'busy', statusText: 'call' },
      });
      expect((await store.connect('u1')).state).toEqual({ status: 'busy', statusText: 'call' });
      await store.goOffline('u1', (await store.epoch('u1'))!);
      expect((await store.connect('u1')).state).toEqual({ status: 'online' });
    });

    it('creates a record on update when a connect is still in flight, and clears blank text', async () => {
      const store = newStore();
      expect(await store.update('u1', { status: 'away' })).toEqual({ current: { status: 'away' } });
      expect(await store.epoch('u1')).toEqual(expect.any(Number));
      expect((await store.connect('u1')).cameOnline).toBe(false);
      await store.update('u1', { status: 'busy', statusText: 'x' });
      expect(await store.update('u1', { status: 'busy' })).toEqual({
        previous: { status: 'busy', statusText: 'x' },
        current: { status: 'busy' },
      });
    });

    it('reads several records and lists the users who have one', async () => {
      const store = newStore();
      await store.connect('u1');
      await store.connect('u2');
      await store.update('u2', { status: 'invisible', statusText: 'hidden' });
      expect(await store.get(['u1', 'u2', 'u3'])).toEqual(
        new Map([
          ['u1', { status: 'online' }],
          ['u2', { status: 'invisible', statusText: 'hidden' }],
        ]),
      );
      expect(await store.userIdsPage(undefined, 10)).toEqual({ ids: ['u1', 'u2'], hasMore: false });
      expect(await store.epoch('u3')).toBeUndefined();
      expect(await store.get([])).toEqual(new Map());
    });

    it('pages the users with a record in id order, each exactly once, whatever the order they came in', async () => {
      const store = newStore();
      const ids = Array.from({ length: 23 }, (_, i) => `user-${String((i * 7) % 23).padStart(2, '0')}`);
      for (const id of ids) await store.connect(id);
      await store.update('late-by-update', { status: 'away' });
      const seen: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.userIdsPage(after, 5);
        expect(page.ids.length).toBeLessThanOrEqual(5);
        seen.push(...page.ids);
        if (!page.hasMore) break;
        after = page.ids[page.ids.length - 1];
      }
      const expected = [...ids, 'late-by-update'].sort();
      expect(seen).toEqual(expected);
      expect(await store.userIdsPage(expected[expected.length - 1], 5)).toEqual({ ids: [], hasMore: false });
      // A cursor that is not (or no longer) a member still pages on from where it sorts.
      expect(await store.userIdsPage('user-10x', 2)).toEqual({ ids: ['user-11', 'user-12'], hasMore: true });
    });

    it('drops a user from the pages once offline, and keeps a reconnect inside the grace period listed once', async () => {
      const store = newStore();
      for (const id of ['a', 'b', 'c']) await store.connect(id);
      await store.connect('b');
      await store.goOffline('a', (await store.epoch('a'))!);
      expect(await store.userIdsPage(undefined, 2)).toEqual({ ids: ['b', 'c'], hasMore: false });
      expect(await store.userIdsPage(undefined, 1)).toEqual({ ids: ['b'], hasMore: true });
      expect(await store.userIdsPage('b', 1)).toEqual({ ids: ['c'], hasMore: false });
    });
  },
);
