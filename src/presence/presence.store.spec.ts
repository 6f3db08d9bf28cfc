import { describeStore } from '../testing/store-suite';
import { InMemoryPresenceStore, type PresenceStore } from './presence.store';
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
      expect(await store.userIds()).toEqual(['u1']);
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
      expect((await store.userIds()).sort()).toEqual(['u1', 'u2']);
      expect(await store.epoch('u3')).toBeUndefined();
      expect(await store.get([])).toEqual(new Map());
    });
  },
);
