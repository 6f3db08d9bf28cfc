import type { Presence } from '../src/contracts';
import { ClientTracker, registerUser, settle, type TestClient, type TestUser } from './support/clients';
import { Cluster } from './support/cluster';
import { withTimeout } from './support/processes';

const GRACE_MS = 1000;
const TTL_MS = 1500;

/**
 * Three real server processes behind no load balancer (clients pick an instance), sharing Redis and
 * PostgreSQL: everything the README documents must behave as on one instance, through kill -9 and SIGTERM.
 * The tests run in order on one cluster: the last two take instances away.
 */
describe('a cluster of server processes (node dist/main.js) sharing Redis and PostgreSQL', () => {
  let cluster: Cluster | undefined;
  let urls: string[] = [];
  const clients = new ClientTracker();

  beforeAll(async () => {
    cluster = await Cluster.start(3, { PRESENCE_GRACE_MS: String(GRACE_MS), PRESENCE_TTL_MS: String(TTL_MS) });
    urls = cluster?.instances.map((i) => i.url) ?? [];
  }, 60000);
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    clients.closeAll();
    await cluster?.stop();
  }, 30000);

  const tab = async (url: string, who: TestUser, sessionId?: string) => {
    const client = await clients.at(url).connect(who.token, { sessionId });
    await client.ok('presence:list', { userIds: [who.user.id] }); // its connect listeners ran
    return client;
  };
  const updatesAbout = (client: TestClient, userId: string) => client.all('presence:update').filter((p) => p.userId === userId);
  const isAbout = (userId: string, status: Presence['status']) => (p: Presence) => p.userId === userId && p.status === status;

  it('delivers a DM between users on different instances, and a room message to members on every instance', async () => {
    if (!cluster) return;
    const [alice, bob, carol] = await Promise.all(urls.map((url) => registerUser(url)));
    const [onA, onB, onC] = await Promise.all([tab(urls[0], alice), tab(urls[1], bob), tab(urls[2], carol)]);

    const sent = await onA.ok('message:send', { to: bob.user.id, content: 'hi bob' });
    expect(await onB.waitFor('message:new', (m) => m.id === sent.id)).toMatchObject({ content: 'hi bob', from: { id: alice.user.id } });

    const room = await onB.ok('room:create', { name: 'cluster', members: [alice.user.id, carol.user.id] });
    const inRoom = await onC.ok('message:send', { roomId: room.id, content: 'to everyone' });
    await onA.waitFor('message:new', (m) => m.id === inRoom.id);
    await onB.waitFor('message:new', (m) => m.id === inRoom.id);
    await settle(300);
    expect(onC.all('message:new').filter((m) => m.id === inRoom.id)).toEqual([]); // not the sending socket
    expect(onB.all('message:new').filter((m) => m.id === inRoom.id)).toHaveLength(1); // once, not once per instance
  });

  it('announces presence once across instances: many tabs anywhere are one user', async () => {
    if (!cluster) return;
    const [watcher, dana] = await Promise.all([registerUser(urls[2]), registerUser(urls[0])]);
    const w = await tab(urls[2], watcher);
    await w.ok('presence:subscribe', { userIds: [dana.user.id] });
    const first = await tab(urls[0], dana);
    await w.waitFor('presence:update', isAbout(dana.user.id, 'online'));
    const second = await tab(urls[1], dana);
    expect((await w.ok('presence:list', { userIds: [dana.user.id] })).users[0].connections).toBe(2);
    first.close();
    second.close();
    const offline = await w.waitFor('presence:update', isAbout(dana.user.id, 'offline'), GRACE_MS * 5);
    expect(offline.lastSeenAt).toEqual(expect.any(String));
    await settle(GRACE_MS);
    expect(updatesAbout(w, dana.user.id).map((p) => p.status)).toEqual(['online', 'offline']);
  });

  it('refuses a second user an exclusive modal held on another instance, announces it once to each watcher anywhere, and hands it over with a greater fencing token', async () => {
    if (!cluster) return;
    const [holder, other, watcher] = await Promise.all([registerUser(urls[0]), registerUser(urls[1]), registerUser(urls[2])]);
    const [h, o, w] = await Promise.all([tab(urls[0], holder), tab(urls[1], other), tab(urls[2], watcher)]);
    const modalId = `invoice-${holder.user.id}`;
    await w.ok('modal:watch', { prefixes: ['invoice-'] });
    const [first, second] = await Promise.all([
      h.request('modal:open', { modalId, exclusive: true }),
      o.request('modal:open', { modalId, exclusive: true }),
    ]);
    expect([first.ok, second.ok].sort()).toEqual([false, true]); // exactly one wins a race
    const [winner, loser, loserUser] = first.ok ? [h, o, other] : [o, h, holder];
    const won = (first.ok ? first.data : second.ok ? second.data : undefined)!;
    expect(first.ok ? second : first).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { holder: won.viewers[0] } } });
    const refused = await loser.request('modal:open', { modalId });
    expect(refused).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { holder: { exclusive: true } } } });
    await w.waitFor('modal:lock', (e) => e.modalId === modalId);
    await settle(300);
    expect(w.all('modal:opened').filter((e) => e.modalId === modalId)).toHaveLength(1);
    expect(winner.all('modal:opened').filter((e) => e.modalId === modalId)).toHaveLength(1); // the viewer's own socket
    expect(loser.all('modal:opened').filter((e) => e.modalId === modalId)).toEqual([]); // watches nothing

    // The loser asks across instances; the winner hands over; the token grows.
    await loser.ok('modal:request', { modalId });
    await winner.waitFor('modal:lock', (e) => e.modalId === modalId && e.requestedBy?.id === loserUser.user.id);
    await winner.ok('modal:release', { modalId, to: loserUser.user.id });
    const handed = await w.waitFor('modal:lock', (e) => e.modalId === modalId && e.holder?.userId === loserUser.user.id);
    expect(handed.fencingToken).toBeGreaterThan(won.lock!.fencingToken);
  });

  it("kill -9: the dead instance's users turn offline elsewhere within the TTL, its modals are released, missed messages are fetched with `after`", async () => {
    if (!cluster) return;
    const victim = cluster.instances[2];
    const [watcher, erin] = await Promise.all([registerUser(urls[0]), registerUser(urls[2])]);
    const w = await tab(urls[0], watcher);
    await w.ok('presence:subscribe', { userIds: [erin.user.id] });
    await w.ok('modal:watch', { modalIds: ['kill-9'] });
    const e = await tab(urls[2], erin);
    const { sessionId } = await e.waitFor('session');
    await w.waitFor('presence:update', isAbout(erin.user.id, 'online'));
    await e.ok('modal:open', { modalId: 'kill-9' });
    const before = await w.ok('message:send', { to: erin.user.id, content: 'before' });

    const killedAt = Date.now();
    await cluster.signal(victim, 'SIGKILL');
    const during = await w.ok('message:send', { to: erin.user.id, content: 'while you were away' });
    await w.waitFor('presence:update', isAbout(erin.user.id, 'offline'), TTL_MS * 4);
    const tookMs = Date.now() - killedAt;
    await w.waitFor('modal:closed', (c) => c.modalId === 'kill-9' && c.sessionId === sessionId && c.reason === 'disconnected', TTL_MS);
    // PRESENCE_TTL_MS is the design bound; the margin is for a busy 2-core test machine.
    expect(tookMs).toBeLessThan(TTL_MS * 3);

    const back = await tab(urls[1], erin, sessionId);
    const conversationId = during.conversationId;
    const missed = await back.ok('message:history', { conversationId, after: before.seq });
    expect(missed.messages.map((m) => m.id)).toEqual([during.id]);
  });

  it('SIGTERM: clients move to another instance without an offline flap, every acked message is kept, pending graces complete elsewhere', async () => {
    if (!cluster) return;
    const leaving = cluster.instances[1];
    const [watcher, frank, gina] = await Promise.all([registerUser(urls[0]), registerUser(urls[1]), registerUser(urls[1])]);
    const w = await tab(urls[0], watcher);
    await w.ok('presence:subscribe', { userIds: [frank.user.id, gina.user.id] });
    await w.ok('modal:watch', { prefixes: ['sigterm-'] });
    const f = await tab(urls[1], frank);
    const g = await tab(urls[1], gina);
    const { sessionId } = await f.waitFor('session');
    await f.ok('modal:open', { modalId: 'sigterm-frank' });
    await g.ok('modal:open', { modalId: 'sigterm-gina' });
    await w.waitFor('presence:update', isAbout(frank.user.id, 'online'));
    await w.waitFor('presence:update', isAbout(gina.user.id, 'online'));

    // Frank moves to instance A as soon as his connection drops; Gina does not come back.
    const moved = new Promise<{ reason: string; at: number }>((resolve) =>
      f.socket.once('disconnect', (reason) => resolve({ reason, at: Date.now() })),
    );
    const ginaGone = new Promise<number>((resolve) => g.socket.once('disconnect', () => resolve(Date.now())));
    const first = await f.ok('message:send', { to: watcher.user.id, content: 'm0', clientMsgId: 'f-0' });
    // Messages in flight while the instance goes: each one acked must be in the history.
    const send = (client: TestClient, i: number) =>
      client.request('message:send', { to: watcher.user.id, content: `m${i}`, clientMsgId: `f-${i}` });
    const sends = Array.from({ length: 20 }, (_, i) => send(f, i + 1));
    const exited = cluster.signal(leaving, 'SIGTERM');
    const { reason } = await withTimeout(moved, 10000, 'frank disconnected');
    expect(reason).toBe('transport close'); // socket.io clients reconnect by themselves after this
    const f2 = await tab(urls[0], frank, sessionId);
    const ginaDroppedAt = await ginaGone;
    expect((await exited).code).toBe(0);

    const outcomes = await Promise.allSettled(sends);
    const acked = [first, ...outcomes.flatMap((r) => (r.status === 'fulfilled' && r.value.ok ? [r.value.data] : []))];
    const history = await f2.ok('message:history', { conversationId: first.conversationId, limit: 100 });
    const stored = new Set(history.messages.map((m) => m.id));
    for (const message of acked) expect(stored.has(message.id)).toBe(true);
    // What was not acked is retried with its clientMsgId on the new instance: each message exactly once.
    for (const [i, r] of outcomes.entries()) if (r.status === 'rejected' || !r.value.ok) expect((await send(f2, i + 1)).ok).toBe(true);
    const after = await f2.ok('message:history', { conversationId: first.conversationId, limit: 100 });
    expect(after.messages.map((m) => m.content)).toEqual(Array.from({ length: 21 }, (_, i) => `m${i}`));

    // Gina's grace ran out on the surviving instances: offline once, not before the grace period.
    await w.waitFor('presence:update', isAbout(gina.user.id, 'offline'), GRACE_MS * 5);
    expect(Date.now() - ginaDroppedAt).toBeGreaterThanOrEqual(GRACE_MS - 50);
    await w.waitFor('modal:closed', (c) => c.modalId === 'sigterm-gina' && c.reason === 'disconnected', GRACE_MS * 3);

    // Frank came back inside the grace period: nobody saw him leave, his modal stayed.
    await settle(GRACE_MS * 2);
    expect(updatesAbout(w, frank.user.id).map((p) => p.status)).toEqual(['online']);
    expect(w.all('modal:closed').filter((c) => c.modalId === 'sigterm-frank')).toEqual([]);
    expect((await w.ok('modal:list', { modalId: 'sigterm-frank' })).modals[0].viewers.map((v) => v.sessionId)).toEqual([sessionId]);
  });
});
