import { randomBytes } from 'node:crypto';
import type { TestApp } from './support/app';
import { ClientTracker, settle, type SignedIn, type TestClient } from './support/clients';
import { AFTER_GRACE_MS, GRACE_MS, startPresenceApp } from './support/presence';

const modalId = (name: string) => `${name}-${randomBytes(3).toString('hex')}`;
const viewerOf = (who: SignedIn, exclusive: boolean) => ({
  userId: who.user.id,
  username: who.user.username,
  sessionId: who.sessionId,
  exclusive,
  openedAt: expect.any(String),
});
/** Since 0.2 modal events reach only watchers (and the viewer's own sockets). */
const watch = (who: SignedIn, ...modalIds: string[]) => who.client.ok('modal:watch', { modalIds });
const about = <E extends 'modal:opened' | 'modal:closed'>(client: TestClient, event: E, id: string) =>
  client.all(event).filter((e) => e.modalId === id);

describe('modals: open, close, list, snapshot and release (watchers receive the events)', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startPresenceApp();
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t?.close());

  it("sends modal:state right after session: the user's own open modals to a new tab, nothing of theirs to others", async () => {
    const alice = await clients.signIn();
    const [m1, m2] = [modalId('invoice'), modalId('editor')];
    const held = await alice.client.ok('modal:open', { modalId: m1, exclusive: true });
    await alice.client.ok('modal:open', { modalId: m2 });
    expect(held.lock).toEqual({ holder: viewerOf(alice, true), fencingToken: expect.any(Number) });

    const tab = await clients.signIn(alice);
    const state = await tab.client.waitFor('modal:state');
    expect(tab.client.received.map((r) => r.event).slice(0, 2)).toEqual(['session', 'modal:state']);
    expect(state.modals).toHaveLength(2);
    expect(state.modals).toEqual(expect.arrayContaining([held, { modalId: m2, viewers: [viewerOf(alice, false)] }]));

    const late = await clients.signIn();
    expect(late.client.received.map((r) => r.event).slice(0, 2)).toEqual(['session', 'modal:state']);
    expect((await late.client.waitFor('modal:state')).modals).toEqual([]);
  });

  it('announces an open to each watcher once; re-opening in the same session is a no-op', async () => {
    const alice = await clients.signIn();
    const bob = await clients.signIn();
    const id = modalId('record');
    await watch(alice, id);
    await watch(bob, id);
    const ack = await alice.client.ok('modal:open', { modalId: id });
    expect(ack).toEqual({ modalId: id, viewers: [viewerOf(alice, false)] });
    expect(await bob.client.waitFor('modal:opened', (e) => e.modalId === id)).toEqual({ modalId: id, viewer: ack.viewers[0] });
    await alice.client.waitFor('modal:opened', (e) => e.modalId === id);

    expect(await alice.client.ok('modal:open', { modalId: id })).toEqual(ack);
    const bobToo = await bob.client.ok('modal:open', { modalId: id });
    expect(bobToo.viewers).toEqual([ack.viewers[0], viewerOf(bob, false)]);
    await alice.client.waitFor('modal:opened', (e) => e.modalId === id && e.viewer.userId === bob.user.id);
    await settle();
    expect(about(bob.client, 'modal:opened', id)).toHaveLength(2);
    expect(about(alice.client, 'modal:opened', id)).toHaveLength(2);
    expect(await bob.client.ok('modal:list', { modalId: id })).toEqual({ modals: [bobToo] });
  });

  it('refuses another user while someone holds a modal exclusively, with the holder in details', async () => {
    const alice = await clients.signIn();
    const bob = await clients.signIn();
    const observer = await clients.signIn();
    const id = modalId('exclusive');
    await watch(observer, id);
    const held = await alice.client.ok('modal:open', { modalId: id, exclusive: true });
    await observer.client.waitFor('modal:opened', (e) => e.modalId === id);

    for (const exclusive of [false, true]) {
      const ack = await bob.client.request('modal:open', { modalId: id, exclusive });
      expect(ack).toEqual({
        ok: false,
        error: { code: 'CONFLICT', reason: 'MODAL_HELD', message: expect.any(String), details: { holder: held.viewers[0] } },
      });
    }
    // Alice's other tab is the same user: it may open it too (and is listed as its own viewer).
    const aliceTab2 = await clients.signIn(alice);
    const both = await aliceTab2.client.ok('modal:open', { modalId: id, exclusive: true });
    expect(both.viewers).toEqual([viewerOf(alice, true), viewerOf(aliceTab2, true)]);
    await observer.client.waitFor('modal:opened', (e) => e.modalId === id && e.viewer.sessionId === aliceTab2.sessionId);
    await settle();
    expect(about(observer.client, 'modal:opened', id).map((e) => e.viewer.userId)).toEqual([alice.user.id, alice.user.id]);
    expect((await observer.client.ok('modal:list', { modalId: id })).modals[0].viewers).toHaveLength(2);
  });

  it('refuses an exclusive open while another user has the modal open', async () => {
    const alice = await clients.signIn();
    const bob = await clients.signIn();
    const id = modalId('shared');
    const opened = await alice.client.ok('modal:open', { modalId: id });
    const refused = await bob.client.request('modal:open', { modalId: id, exclusive: true });
    expect(refused).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { holder: opened.viewers[0] } } });
    expect((await bob.client.ok('modal:list', { modalId: id })).modals[0].viewers).toEqual(opened.viewers);

    // Once Alice is gone, Bob can take it exclusively; then Alice is the one refused.
    await alice.client.ok('modal:close', { modalId: id });
    const taken = await bob.client.ok('modal:open', { modalId: id, exclusive: true });
    expect(await alice.client.request('modal:open', { modalId: id })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT', details: { holder: taken.viewers[0] } },
    });
  });

  it('releases on close (reason closed); closing a modal this session does not have is NOT_FOUND and announces nothing', async () => {
    const alice = await clients.signIn();
    const bob = await clients.signIn();
    const id = modalId('close');
    await watch(bob, id);
    await alice.client.ok('modal:open', { modalId: id });

    expect(await bob.client.request('modal:close', { modalId: id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const aliceTab2 = await clients.signIn(alice);
    expect(await aliceTab2.client.request('modal:close', { modalId: id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await bob.client.ok('modal:list', { modalId: id })).modals).toHaveLength(1);

    expect(await alice.client.ok('modal:close', { modalId: id })).toEqual({ modalId: id });
    expect(await bob.client.waitFor('modal:closed', (e) => e.modalId === id)).toEqual({
      modalId: id,
      userId: alice.user.id,
      sessionId: alice.sessionId,
      reason: 'closed',
    });
    await settle();
    expect(about(bob.client, 'modal:closed', id)).toHaveLength(1);
    expect(await bob.client.ok('modal:list', { modalId: id })).toEqual({ modals: [] });
    expect(await alice.client.request('modal:close', { modalId: id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it("releases a disconnected session's modals after the grace period (reason disconnected)", async () => {
    const alice = await clients.signIn();
    const bob = await clients.signIn();
    const [m1, m2] = [modalId('gone-a'), modalId('gone-b')];
    await watch(bob, m1, m2);
    await alice.client.ok('modal:open', { modalId: m1, exclusive: true });
    await alice.client.ok('modal:open', { modalId: m2 });

    const closedAt = Date.now();
    alice.client.close();
    const first = await bob.client.waitFor('modal:closed', (e) => e.modalId === m1);
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE_MS - 20);
    expect(first).toEqual({ modalId: m1, userId: alice.user.id, sessionId: alice.sessionId, reason: 'disconnected' });
    expect(await bob.client.waitFor('modal:closed', (e) => e.modalId === m2)).toMatchObject({ reason: 'disconnected' });
    expect(await bob.client.ok('modal:list', { modalId: m1 })).toEqual({ modals: [] });
    expect((await bob.client.ok('modal:open', { modalId: m1, exclusive: true })).viewers).toEqual([viewerOf(bob, true)]);
  });

  it('keeps the modals of a session that resumes inside the grace period', async () => {
    const alice = await clients.signIn();
    const bob = await clients.signIn();
    const id = modalId('resume');
    await watch(bob, id);
    const opened = await alice.client.ok('modal:open', { modalId: id, exclusive: true });

    alice.client.close();
    await settle(50);
    const resumed = await clients.signIn(alice, { sessionId: alice.sessionId });
    expect(resumed.sessionId).toBe(alice.sessionId);
    expect((await resumed.client.waitFor('modal:state')).modals).toContainEqual(opened);
    await settle(AFTER_GRACE_MS);

    expect(about(bob.client, 'modal:closed', id)).toEqual([]);
    expect(await bob.client.ok('modal:list', { modalId: id })).toEqual({ modals: [opened] });
    expect(await resumed.client.ok('modal:close', { modalId: id })).toEqual({ modalId: id });
    await bob.client.waitFor('modal:closed', (e) => e.modalId === id && e.reason === 'closed');
  });

  it('keeps modals while another socket of the same session is connected', async () => {
    const alice = await clients.signIn();
    const sameSession = await clients.signIn(alice, { sessionId: alice.sessionId });
    const bob = await clients.signIn();
    const id = modalId('two-sockets');
    await watch(bob, id);
    await alice.client.ok('modal:open', { modalId: id });

    alice.client.close();
    await settle(AFTER_GRACE_MS);
    expect(about(bob.client, 'modal:closed', id)).toEqual([]);
    expect((await bob.client.ok('modal:list', { modalId: id })).modals).toHaveLength(1);

    sameSession.client.close();
    expect(await bob.client.waitFor('modal:closed', (e) => e.modalId === id)).toMatchObject({ reason: 'disconnected' });
  });

  it('answers bad input on every modal event with BAD_REQUEST and field details, and keeps serving', async () => {
    const alice = await clients.signIn();
    const bob = await clients.signIn();
    const cases: [string, unknown, string][] = [
      ['modal:open', {}, 'modalId'],
      ['modal:open', { modalId: '' }, 'modalId'],
      ['modal:open', { modalId: 'x'.repeat(129) }, 'modalId'],
      ['modal:open', { modalId: 7 }, 'modalId'],
      ['modal:open', { modalId: 'm', exclusive: 'yes' }, 'exclusive'],
      // The viewer is always the caller's own session: no payload can name another.
      ['modal:open', { modalId: 'm', sessionId: bob.sessionId }, 'sessionId'],
      ['modal:close', {}, 'modalId'],
      ['modal:close', { modalId: ['m'] }, 'modalId'],
      ['modal:close', { modalId: 'm', userId: bob.user.id }, 'userId'],
      ['modal:list', { modalId: 5 }, 'modalId'],
      ['modal:list', { modalId: '' }, 'modalId'],
      ['modal:list', { all: true }, 'all'],
    ];
    for (const [event, payload, field] of cases) {
      const ack = await alice.client.request(event as 'modal:open', payload);
      expect({ event, payload, ack }).toMatchObject({
        ack: { ok: false, error: { code: 'BAD_REQUEST', details: expect.arrayContaining([expect.objectContaining({ field })]) } },
      });
    }
    for (const event of ['modal:open', 'modal:close', 'modal:list']) {
      expect(await alice.client.request(event as 'modal:list', [1])).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    const id = modalId('after-bad-input');
    await watch(bob, id);
    await alice.client.ok('modal:open', { modalId: id });
    await bob.client.waitFor('modal:opened', (e) => e.modalId === id);
    await settle();
    // Nothing from the refused events: only the valid open reached Bob (events of other tests' users aside).
    expect(
      bob.client
        .all('modal:opened')
        .filter((e) => e.viewer.userId === alice.user.id)
        .map((e) => e.modalId),
    ).toEqual([id]);
    expect(bob.client.all('modal:closed').filter((e) => e.userId === alice.user.id)).toEqual([]);
    expect(await alice.client.ok('modal:list', {})).toMatchObject({
      modals: expect.arrayContaining([{ modalId: id, viewers: [viewerOf(alice, false)] }]),
    });
  });
});
