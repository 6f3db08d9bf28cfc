import { randomBytes } from 'node:crypto';
import type { ModalLockEvent } from '../src/contracts';
import type { TestApp } from './support/app';
import { ClientTracker, settle, type TestClient } from './support/clients';
import { createTestDatabase } from './support/databases';
import { AFTER_GRACE_MS, startPresenceApp } from './support/presence';
import { E2E_WITH_REDIS, testRedisPrefix } from './support/redis';

const MODAL_EVENTS = ['modal:opened', 'modal:closed', 'modal:lock'] as const;
const unique = (name: string) => `${name}-${randomBytes(3).toString('hex')}`;
/** Every modal event `client` received about `modalId`, in order, as [event, payload]. */
const eventsAbout = (client: TestClient, modalId: string) =>
  client.received.filter(
    (r) => (MODAL_EVENTS as readonly string[]).includes(r.event) && (r.payload as { modalId: string }).modalId === modalId,
  );
const modalEvents = (client: TestClient) => client.received.filter((r) => (MODAL_EVENTS as readonly string[]).includes(r.event));
const lockEvents = (client: TestClient, modalId: string) => client.all('modal:lock').filter((e) => e.modalId === modalId);

describe('modals: watched, not broadcast (0.2)', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startPresenceApp({ env: { MAX_MODAL_WATCHES: '5' } });
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t?.close());

  it('sends modal events only to the watchers of each modal (by id, by prefix) and to the viewer’s own tabs; unwatch stops them', async () => {
    const alice = await clients.signIn();
    const aliceTab = await clients.signIn(alice);
    const [byId, byPrefix, bystander] = [await clients.signIn(), await clients.signIn(), await clients.signIn()];
    const prefix = unique('invoice');
    const [one, two, other] = [`${prefix}:1`, `${prefix}:2`, unique('report')];
    expect(await byId.client.ok('modal:watch', { modalIds: [one] })).toEqual({ modals: [], hasMore: false });
    expect(await byPrefix.client.ok('modal:watch', { prefixes: [prefix] })).toEqual({ modals: [], hasMore: false });

    for (const id of [one, two, other]) await alice.client.ok('modal:open', { modalId: id });
    await alice.client.ok('modal:close', { modalId: one });
    await byPrefix.client.waitFor('modal:closed', (e) => e.modalId === one);
    await aliceTab.client.waitFor('modal:closed', (e) => e.modalId === one);
    await settle();

    expect(modalEvents(byId.client).map((r) => r.event)).toEqual(['modal:opened', 'modal:closed']);
    expect(eventsAbout(byId.client, one)).toHaveLength(2);
    expect(modalEvents(byPrefix.client).map((r) => [r.event, (r.payload as { modalId: string }).modalId])).toEqual([
      ['modal:opened', one],
      ['modal:opened', two],
      ['modal:closed', one],
    ]);
    expect(modalEvents(bystander.client)).toEqual([]);
    // The viewer's own tabs follow everything that user opens, watched or not.
    expect(modalEvents(aliceTab.client).map((r) => (r.payload as { modalId: string }).modalId)).toEqual([one, two, other, one]);

    // The watch answer is the current state; unwatch stops the events.
    expect(await byId.client.ok('modal:watch', { modalIds: [two, 'nobody-has-this'] })).toEqual({
      modals: [{ modalId: two, viewers: [expect.objectContaining({ userId: alice.user.id })] }],
      hasMore: false,
    });
    expect(await byId.client.ok('modal:unwatch', { modalIds: [one, two] })).toEqual({});
    expect(await byPrefix.client.ok('modal:unwatch', { prefixes: [prefix] })).toEqual({});
    byId.client.clear();
    byPrefix.client.clear();
    await alice.client.ok('modal:close', { modalId: two });
    await aliceTab.client.waitFor('modal:closed', (e) => e.modalId === two);
    await settle();
    expect(modalEvents(byId.client)).toEqual([]);
    expect(modalEvents(byPrefix.client)).toEqual([]);
  });

  it('keeps the watches of a resumed session (and sends their state in modal:state); a new session starts with none', async () => {
    const watcher = await clients.signIn();
    const alice = await clients.signIn();
    const prefix = unique('doc');
    const id = `${prefix}/a`;
    await watcher.client.ok('modal:watch', { prefixes: [prefix] });
    await alice.client.ok('modal:open', { modalId: id });
    await watcher.client.waitFor('modal:opened', (e) => e.modalId === id);

    watcher.client.close();
    await settle(50);
    const resumed = await clients.signIn(watcher, { sessionId: watcher.sessionId });
    expect(resumed.sessionId).toBe(watcher.sessionId);
    expect((await resumed.client.waitFor('modal:state')).modals).toEqual([
      { modalId: id, viewers: [expect.objectContaining({ userId: alice.user.id })] },
    ]);
    const fresh = await clients.signIn(watcher);
    expect((await fresh.client.waitFor('modal:state')).modals).toEqual([]);

    await alice.client.ok('modal:close', { modalId: id });
    await resumed.client.waitFor('modal:closed', (e) => e.modalId === id);
    await settle();
    expect(modalEvents(fresh.client)).toEqual([]);
  });

  it('forgets the watches of a session that did not come back within the grace period', async () => {
    const watcher = await clients.signIn();
    const alice = await clients.signIn();
    const id = unique('gone');
    await watcher.client.ok('modal:watch', { modalIds: [id] });
    watcher.client.close();
    await settle(AFTER_GRACE_MS);
    const back = await clients.signIn(watcher, { sessionId: watcher.sessionId });
    await alice.client.ok('modal:open', { modalId: id });
    await settle();
    expect(modalEvents(back.client)).toEqual([]);
  });

  it('caps the watches of a socket (MAX_MODAL_WATCHES): nothing of a refused call is watched', async () => {
    const watcher = await clients.signIn();
    const alice = await clients.signIn();
    const ids = Array.from({ length: 4 }, (_, i) => unique(`cap${i}`));
    await watcher.client.ok('modal:watch', { modalIds: ids });
    // Watching what the socket already watches costs nothing.
    await watcher.client.ok('modal:watch', { modalIds: ids.slice(0, 2) });
    const extra = unique('extra');
    expect(await watcher.client.request('modal:watch', { modalIds: [extra], prefixes: ['p'] })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', reason: 'LIMIT_REACHED', details: { limit: 5 } },
    });
    await alice.client.ok('modal:open', { modalId: extra });
    await settle();
    expect(modalEvents(watcher.client)).toEqual([]);
    await watcher.client.ok('modal:unwatch', { modalIds: [ids[0]] });
    await watcher.client.ok('modal:watch', { modalIds: [extra] });
  });

  it('hands an exclusive lock over on request, with a fencing token that grows on every change of holder', async () => {
    const [alice, bob, watcher, outsider] = [
      await clients.signIn(),
      await clients.signIn(),
      await clients.signIn(),
      await clients.signIn(),
    ];
    const id = unique('editor');
    await watcher.client.ok('modal:watch', { modalIds: [id] });
    const held = await alice.client.ok('modal:open', { modalId: id, exclusive: true });
    const first = held.lock!;
    expect(first).toEqual({ holder: held.viewers[0], fencingToken: expect.any(Number) });
    expect(await watcher.client.waitFor('modal:lock', (e) => e.modalId === id)).toEqual({
      modalId: id,
      holder: held.viewers[0],
      fencingToken: first.fencingToken,
    });

    expect(await bob.client.request('modal:open', { modalId: id })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT', details: { holder: held.viewers[0] } },
    });
    expect(await bob.client.ok('modal:request', { modalId: id })).toEqual({});
    const asked: ModalLockEvent = {
      modalId: id,
      holder: held.viewers[0],
      fencingToken: first.fencingToken,
      requestedBy: { id: bob.user.id, username: bob.user.username },
    };
    expect(await alice.client.waitFor('modal:lock', (e) => e.requestedBy !== undefined)).toEqual(asked);
    await watcher.client.waitFor('modal:lock', (e) => e.requestedBy !== undefined);

    expect(await alice.client.ok('modal:release', { modalId: id, to: bob.user.id })).toEqual({});
    const handed = await watcher.client.waitFor('modal:lock', (e) => e.modalId === id && e.holder?.userId === bob.user.id);
    expect(handed).toEqual({
      modalId: id,
      holder: expect.objectContaining({ userId: bob.user.id, sessionId: bob.sessionId, exclusive: true }),
      fencingToken: expect.any(Number),
    });
    expect(handed.fencingToken).toBeGreaterThan(first.fencingToken);
    await bob.client.waitFor('modal:lock', (e) => e.holder?.userId === bob.user.id);
    const [state] = (await outsider.client.ok('modal:list', { modalId: id })).modals;
    expect(state.lock).toEqual({ holder: handed.holder, fencingToken: handed.fencingToken });
    expect(state.viewers.map((v) => [v.userId, v.exclusive])).toEqual([
      [alice.user.id, false],
      [bob.user.id, true],
    ]);

    // Bob lets go (to nobody): the lock ends; Alice takes it again with a still greater token.
    expect(await bob.client.ok('modal:release', { modalId: id })).toEqual({});
    expect(await watcher.client.waitFor('modal:lock', (e) => e.modalId === id && e.holder === undefined)).toEqual({
      modalId: id,
      fencingToken: handed.fencingToken,
    });
    await bob.client.ok('modal:close', { modalId: id });
    const again = await alice.client.ok('modal:open', { modalId: id, exclusive: true });
    expect(again.lock!.fencingToken).toBeGreaterThan(handed.fencingToken);

    await settle();
    expect(modalEvents(outsider.client)).toEqual([]);
    // Who does not ask does not hear of the request: only the holder, the requester and the watchers.
    expect(lockEvents(outsider.client, id)).toEqual([]);
  });

  it('refuses forbidden lock calls: releasing what you do not hold, handing to someone who did not ask, asking for what nobody else holds', async () => {
    const [alice, bob, carol] = [await clients.signIn(), await clients.signIn(), await clients.signIn()];
    const aliceTab = await clients.signIn(alice);
    const id = unique('locked');
    await alice.client.ok('modal:open', { modalId: id, exclusive: true });
    await aliceTab.client.ok('modal:open', { modalId: id });

    for (const caller of [bob, carol, aliceTab]) {
      expect(await caller.client.request('modal:release', { modalId: id })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN', reason: 'MODAL_NOT_HOLDER' },
      });
    }
    expect(await alice.client.request('modal:release', { modalId: id, to: carol.user.id })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', reason: 'MODAL_NO_REQUEST' },
    });
    // Your own lock, or a modal nobody holds exclusively: nothing to ask for.
    for (const [caller, modalId] of [
      [aliceTab, id],
      [bob, unique('free')],
    ] as const) {
      expect(await caller.client.request('modal:request', { modalId })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND', reason: 'MODAL_NOT_HELD' },
      });
    }
    const [state] = (await bob.client.ok('modal:list', { modalId: id })).modals;
    expect(state.lock?.holder.sessionId).toBe(alice.sessionId);
    expect(lockEvents(carol.client, id)).toEqual([]);
  });

  it('hides an invisible viewer from everybody else: no event, not listed, no holder in the conflict', async () => {
    const alice = await clients.signIn();
    const aliceTab = await clients.signIn(alice);
    const watcher = await clients.signIn();
    const id = unique('secret');
    await watcher.client.ok('modal:watch', { modalIds: [id] });
    await alice.client.ok('presence:set', { status: 'invisible' });
    const held = await alice.client.ok('modal:open', { modalId: id, exclusive: true });
    expect(held.lock?.holder.userId).toBe(alice.user.id);
    await aliceTab.client.waitFor('modal:opened', (e) => e.modalId === id);
    await aliceTab.client.waitFor('modal:lock', (e) => e.modalId === id);

    const refused = await watcher.client.request('modal:open', { modalId: id });
    expect(refused).toEqual({
      ok: false,
      error: { code: 'CONFLICT', reason: 'MODAL_HELD', message: expect.any(String), details: { hidden: true } },
    });
    expect(JSON.stringify(refused)).not.toContain(alice.user.id);
    expect(await watcher.client.ok('modal:list', { modalId: id })).toEqual({ modals: [] });
    expect(await watcher.client.ok('modal:watch', { modalIds: [id] })).toEqual({ modals: [], hasMore: false });
    expect(JSON.stringify((await watcher.client.ok('modal:list', {})).modals)).not.toContain(alice.user.id);
    await alice.client.ok('modal:close', { modalId: id });
    await aliceTab.client.waitFor('modal:closed', (e) => e.modalId === id);
    await settle();
    expect(modalEvents(watcher.client)).toEqual([]);
  });

  it('answers bad input on the new modal events with BAD_REQUEST and field details', async () => {
    const alice = await clients.signIn();
    const cases: [string, unknown, string][] = [
      ['modal:watch', {}, 'modalIds'],
      ['modal:watch', { modalIds: [] }, 'modalIds'],
      ['modal:watch', { modalIds: 'x' }, 'modalIds'],
      ['modal:watch', { modalIds: [''] }, 'modalIds'],
      ['modal:watch', { modalIds: Array.from({ length: 501 }, (_, i) => `m${i}`) }, 'modalIds'],
      ['modal:watch', { prefixes: Array.from({ length: 21 }, (_, i) => `p${i}`) }, 'prefixes'],
      ['modal:watch', { prefixes: ['x'.repeat(129)] }, 'prefixes'],
      ['modal:watch', { modalIds: ['m'], all: true }, 'all'],
      ['modal:unwatch', { prefixes: [7] }, 'prefixes'],
      ['modal:request', {}, 'modalId'],
      ['modal:request', { modalId: 'm', userId: 'someone' }, 'userId'],
      ['modal:release', { modalId: 'x'.repeat(129) }, 'modalId'],
      ['modal:release', { modalId: 'm', to: 5 }, 'to'],
      ['modal:release', { modalId: 'm', sessionId: alice.sessionId }, 'sessionId'],
    ];
    for (const [event, payload, field] of cases) {
      const ack = await alice.client.request(event as 'modal:watch', payload);
      expect({ event, ack }).toMatchObject({
        ack: { ok: false, error: { code: 'BAD_REQUEST', details: expect.arrayContaining([expect.objectContaining({ field })]) } },
      });
    }
    expect(await alice.client.ok('modal:watch', { modalIds: ['still-serving'] })).toEqual({ modals: [], hasMore: false });
  });
});

describe('modals: fencing tokens never go back across a restart', () => {
  const clients = new ClientTracker();

  it('gives a greater token after the service restarts on the same database (and Redis prefix)', async () => {
    const database = await createTestDatabase();
    const redis = E2E_WITH_REDIS ? testRedisPrefix() : undefined;
    const options = { database: { url: database.url, drop: async () => undefined }, redisPrefix: redis?.prefix };
    const take = async (app: TestApp): Promise<number> => {
      const who = await clients.at(app.url).signIn();
      const id = unique('fenced');
      const first = (await who.client.ok('modal:open', { modalId: id, exclusive: true })).lock!.fencingToken;
      await who.client.ok('modal:close', { modalId: id });
      const second = (await who.client.ok('modal:open', { modalId: id, exclusive: true })).lock!.fencingToken;
      expect(second).toBeGreaterThan(first);
      return second;
    };
    try {
      let app = await startPresenceApp(options);
      const before = await take(app);
      clients.closeAll();
      await app.stop();
      app = await startPresenceApp(options);
      expect(await take(app)).toBeGreaterThan(before);
      clients.closeAll();
      await app.stop();
    } finally {
      await database.drop();
      await redis?.cleanup();
    }
  });
});
