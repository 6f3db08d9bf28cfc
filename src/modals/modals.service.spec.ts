import { WebhookOutbox } from '../webhooks/webhook-outbox';
import type { Db } from '../storage/database';
import { loadConfig } from '../config/app-config';
import { RealtimeService } from '../realtime/realtime.service';
import { InMemoryConnectionStore } from '../realtime/connections/in-memory-connection-store';
import { GracePeriods } from '../realtime/grace/grace-periods';
import { InMemoryGraceDeadlines } from '../realtime/grace/in-memory-grace-deadlines';
import { automock } from '../testing/automock';
import { fakeSocket } from '../testing/fake-socket';
import { InMemoryModalStore } from './in-memory-modal.store';
import { ModalsService } from './modals.service';

const alice = { id: 'u1', username: 'alice', displayName: 'alice', createdAt: 'x' };
const bob = { id: 'u2', username: 'bob', displayName: 'bob', createdAt: 'x' };

describe('ModalsService', () => {
  const setup = () => {
    jest.useFakeTimers();
    const connections = new InMemoryConnectionStore();
    const store = new InMemoryModalStore();
    const realtime = automock(RealtimeService);
    realtime.emit.mockReturnValue(undefined);
    const config = loadConfig({ PRESENCE_GRACE_MS: '1000', MAX_OPEN_MODALS: '2' });
    const grace = new GracePeriods(new InMemoryGraceDeadlines(), config);
    const invisible = new Set<string>();
    const presence = {
      presenceOf: jest.fn(),
      invisibleAmong: async (ids: readonly string[]) => new Set(ids.filter((id) => invisible.has(id))),
    };
    const service = new ModalsService(
      store,
      connections,
      presence,
      config,
      realtime as unknown as RealtimeService,
      grace,
      new WebhookOutbox(config, {} as Db),
    );
    const connect = async (id: string, sessionId: string, resumed = false) => {
      const s = fakeSocket(id, { user: alice, sessionId, resumed });
      await service.connected(s, await connections.add({ socketId: id, userId: 'u1', sessionId }));
      return s;
    };
    const disconnect = async (id: string, sessionId: string) =>
      service.disconnected(
        { socketId: id, userId: alice.id, sessionId },
        await connections.remove({ socketId: id, userId: 'u1', sessionId }),
      );
    const closed = () => realtime.emit.mock.calls.filter((c) => c[1] === 'modal:closed').map((c) => c[2]);
    return { service, grace, store, realtime, connect, disconnect, closed, invisible };
  };
  afterEach(() => jest.useRealTimers());

  it("announces an open once to the modal's watchers and the user's sockets, and refuses a conflicting user with the holder", async () => {
    const { service, realtime } = setup();
    const state = await service.open({ user: alice, sessionId: 's1' }, 'mo', true);
    await service.open({ user: alice, sessionId: 's1' }, 'mo', true);
    const audience = ['user:u1', 'modal-watch:mo', 'modal-prefix:m', 'modal-prefix:mo'];
    expect(realtime.emit.mock.calls).toEqual([
      [audience, 'modal:opened', { modalId: 'mo', viewer: state.viewers[0] }],
      [audience, 'modal:lock', { modalId: 'mo', holder: state.viewers[0], fencingToken: state.lock!.fencingToken }],
    ]);
    await expect(service.open({ user: bob, sessionId: 's2' }, 'mo', false)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { holder: state.viewers[0] },
    });
  });

  it('shows an invisible viewer to nobody else: own sockets only, left out of lists, no holder in a conflict', async () => {
    const { service, realtime, invisible } = setup();
    invisible.add(alice.id);
    await service.open({ user: alice, sessionId: 's1' }, 'm', true);
    expect(realtime.emit.mock.calls.map((c) => c[0])).toEqual([['user:u1'], ['user:u1']]);
    expect(await service.list(bob.id, 'm')).toEqual({ modals: [] });
    expect((await service.list(alice.id, 'm')).modals[0].viewers).toHaveLength(1);
    await expect(service.open({ user: bob, sessionId: 's2' }, 'm', false)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { hidden: true },
    });
    expect((await service.describe('m')).lock?.holder.userId).toBe(alice.id);
  });

  it('caps open modals per session (MAX_OPEN_MODALS) but lets a session re-open what it has', async () => {
    const { service } = setup();
    const actor = { user: alice, sessionId: 's1' };
    await service.open(actor, 'a', false);
    await service.open(actor, 'b', false);
    await expect(service.open(actor, 'c', false)).rejects.toMatchObject({ code: 'FORBIDDEN', details: { limit: 2 } });
    expect((await service.open(actor, 'b', true)).viewers[0].exclusive).toBe(true);
    await service.open({ user: alice, sessionId: 's2' }, 'c', false); // another tab has its own allowance
    await service.close(actor, 'a');
    await service.open(actor, 'c', false);
  });

  it('answers NOT_FOUND for closing a modal the session does not have open', async () => {
    const { service, realtime } = setup();
    await service.open({ user: alice, sessionId: 's1' }, 'm', false);
    await expect(service.close({ user: alice, sessionId: 's2' }, 'm')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await service.close({ user: alice, sessionId: 's1' }, 'm')).toEqual({ modalId: 'm' });
    expect(realtime.emit).toHaveBeenLastCalledWith(['user:u1', 'modal-watch:m', 'modal-prefix:m'], 'modal:closed', {
      modalId: 'm',
      userId: 'u1',
      sessionId: 's1',
      reason: 'closed',
    });
  });

  it('sends the snapshot to a connecting socket', async () => {
    const { service, connect } = setup();
    await service.open({ user: alice, sessionId: 's0' }, 'm', false);
    const s = await connect('a', 's1');
    expect(s.emit).toHaveBeenCalledWith('modal:state', { modals: [expect.objectContaining({ modalId: 'm' })] });
  });

  it('releases after the grace period unless the session resumed', async () => {
    const { service, connect, disconnect, closed } = setup();
    await connect('a', 's1');
    await service.open({ user: alice, sessionId: 's1' }, 'm', false);
    await disconnect('a', 's1');
    await connect('b', 's1', true);
    await jest.advanceTimersByTimeAsync(5000);
    expect(closed()).toEqual([]);

    await disconnect('b', 's1');
    await jest.advanceTimersByTimeAsync(999);
    expect(closed()).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(closed()).toEqual([{ modalId: 'm', userId: 'u1', sessionId: 's1', reason: 'disconnected' }]);
  });

  it('starts no timer for sessions without modals and clears timers on shutdown', async () => {
    const { service, grace, connect, disconnect, closed } = setup();
    await connect('a', 's1');
    await disconnect('a', 's1');
    expect(jest.getTimerCount()).toBe(0);
    await connect('b', 's2');
    await service.open({ user: alice, sessionId: 's2' }, 'm', false);
    await disconnect('b', 's2');
    expect(jest.getTimerCount()).toBe(1);
    grace.onApplicationShutdown();
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(5000);
    expect(closed()).toEqual([]);
  });
});
