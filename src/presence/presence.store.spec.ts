import { InMemoryPresenceStore } from './presence.store';

describe('InMemoryPresenceStore', () => {
  it('reports coming online only once until the user went offline', async () => {
    const store = new InMemoryPresenceStore();
    expect((await store.connect('u1')).cameOnline).toBe(true);
    expect((await store.connect('u1')).cameOnline).toBe(false);
    const epoch = (await store.epoch('u1'))!;
    expect(await store.goOffline('u1', epoch)).toEqual({ status: 'online' });
    expect(await store.goOffline('u1', epoch)).toBeUndefined();
    expect((await store.connect('u1')).cameOnline).toBe(true);
  });

  it('refuses a stale offline decision after a reconnect', async () => {
    const store = new InMemoryPresenceStore();
    await store.connect('u1');
    const epoch = (await store.epoch('u1'))!;
    await store.connect('u1');
    expect(await store.goOffline('u1', epoch)).toBeUndefined();
    expect(await store.userIds()).toEqual(['u1']);
  });

  it('keeps the status across a reconnect and resets it after going offline', async () => {
    const store = new InMemoryPresenceStore();
    await store.connect('u1');
    expect(await store.update('u1', { status: 'busy', statusText: 'call' })).toEqual({
      previous: { status: 'online' },
      current: { status: 'busy', statusText: 'call' },
    });
    expect((await store.connect('u1')).state).toEqual({ status: 'busy', statusText: 'call' });
    await store.goOffline('u1', (await store.epoch('u1'))!);
    expect((await store.connect('u1')).state).toEqual({ status: 'online' });
  });
});
