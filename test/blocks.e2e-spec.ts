import type { Kysely } from 'kysely';
import type { Database } from '../src/storage/database.types';
import { DATABASE } from '../src/storage/database.module';
import { MAX_BLOCKS_PER_USER } from '../src/chat/blocks.service';
import type { TestApp } from './support/app';
import { ClientTracker, settle, type UserWithTabs } from './support/clients';
import { createRoom, seedMembers, send } from './support/chat';
import { AFTER_GRACE_MS, startPresenceApp, updatesAbout } from './support/presence';

/** user:block / user:unblock / user:blocks and their effects on DMs, presence and typing. */
describe('blocking', () => {
  let t: TestApp;
  const pool = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startPresenceApp();
  });
  afterEach(() => pool.closeAll());
  afterAll(() => t.close());

  const refused = (code: string, reason?: string) => ({ ok: false, error: reason ? { code, reason } : { code } });

  /** Bob blocks Alice; Carol is a bystander; all three share a room. */
  async function blocked(): Promise<{ alice: UserWithTabs; bob: UserWithTabs; carol: UserWithTabs; roomId: string }> {
    const [alice, bob, carol] = await Promise.all([pool.user(), pool.user(2), pool.user()]);
    const room = await createRoom(carol.tabs[0], 'shared', { members: [alice.user.id, bob.user.id] });
    expect(await bob.tabs[0].ok('user:block', { userId: alice.user.id })).toEqual({});
    return { alice, bob, carol, roomId: room.id };
  }

  it('a blocked user cannot DM the blocker (USER_BLOCKED); the blocker still can, and shared rooms work both ways', async () => {
    const { alice, bob, carol, roomId } = await blocked();
    const ack = await alice.tabs[0].request('message:send', { to: bob.user.id, content: 'hello?' });
    expect(ack).toEqual({
      ok: false,
      error: { code: 'FORBIDDEN', reason: 'USER_BLOCKED', message: 'This user cannot be messaged' },
    });
    // With a mention the send takes the transaction path (on PostgreSQL; the other is one statement): refused the same.
    expect(await alice.tabs[0].request('message:send', { to: bob.user.id, content: `hey @${bob.user.username}` })).toMatchObject(
      refused('FORBIDDEN', 'USER_BLOCKED'),
    );
    const fromBob = await send(bob.tabs[0], { to: alice.user.id, content: 'one way' });
    await alice.tabs[0].waitFor('message:new', (m) => m.id === fromBob.id);
    const inRoom = await send(alice.tabs[0], { roomId, content: 'in the room' });
    await bob.tabs[0].waitFor('message:new', (m) => m.id === inRoom.id);
    const back = await send(bob.tabs[0], { roomId, content: 'room reply' });
    await alice.tabs[0].waitFor('message:new', (m) => m.id === back.id);
    await carol.tabs[0].waitFor('message:new', (m) => m.id === back.id);
    await settle();
    expect(bob.tabs[1].all('message:new').map((m) => m.content)).toEqual(['one way', 'in the room', 'room reply']);
    // Unblocked, the DM goes through again.
    expect(await bob.tabs[0].ok('user:unblock', { userId: alice.user.id })).toEqual({});
    const later = await send(alice.tabs[0], { to: bob.user.id, content: 'now?' });
    await bob.tabs[1].waitFor('message:new', (m) => m.id === later.id);
    // The refused sends stored nothing and took no seq.
    expect(later.seq).toBe(fromBob.seq + 1);
  });

  it('the blocked user receives none of the blocker’s typing (DM or room); others do, and the blocker still sees theirs', async () => {
    const { alice, bob, carol, roomId } = await blocked();
    expect(await alice.tabs[0].request('typing', { to: bob.user.id, isTyping: true })).toMatchObject(refused('FORBIDDEN', 'USER_BLOCKED'));
    expect(await bob.tabs[0].ok('typing', { to: alice.user.id, isTyping: true })).toEqual({});
    expect(await bob.tabs[0].ok('typing', { roomId, isTyping: true })).toEqual({});
    expect(await carol.tabs[0].waitFor('typing', (e) => e.userId === bob.user.id)).toEqual({
      conversationId: `room:${roomId}`,
      userId: bob.user.id,
      isTyping: true,
    });
    await alice.tabs[0].ok('typing', { roomId, isTyping: true });
    await bob.tabs[0].waitFor('typing', (e) => e.userId === alice.user.id);
    await bob.tabs[0].ok('typing', { roomId, isTyping: false });
    await carol.tabs[0].waitFor('typing', (e) => e.userId === bob.user.id && !e.isTyping);
    await settle();
    expect(alice.tabs[0].all('typing').filter((e) => e.userId === bob.user.id)).toEqual([]);
  });

  it('the blocker looks offline to the blocked user: answers, pushed updates and room member lists; unblocking shows them again', async () => {
    const [alice, bob, carol] = await Promise.all([pool.signIn(), pool.signIn(), pool.signIn()]);
    const room = await createRoom(carol.client, 'presence room', { members: [alice.user.id, bob.user.id] });
    for (const viewer of [alice, carol]) await viewer.client.ok('presence:subscribe', { userIds: [bob.user.id] });
    await bob.client.ok('user:block', { userId: alice.user.id });
    expect(await alice.client.waitFor('presence:update', (p) => p.userId === bob.user.id)).toEqual({
      userId: bob.user.id,
      username: bob.user.username,
      status: 'offline',
      connections: 0,
    });
    const seen = async () => (await alice.client.ok('presence:list', { userIds: [bob.user.id] })).users[0];
    expect(await seen()).toMatchObject({ status: 'offline', connections: 0 });
    expect((await alice.client.ok('presence:subscribe', { userIds: [bob.user.id] })).users[0].status).toBe('offline');
    const members = (await alice.client.ok('room:members', { roomId: room.id })).members;
    expect(members.find((m) => m.userId === bob.user.id)).toMatchObject({ online: false, status: 'offline' });
    expect((await alice.client.ok('presence:list', {})).users.map((p) => p.userId)).not.toContain(bob.user.id);
    // Carol sees Bob as he is, and gets his status change; Alice does not.
    expect((await carol.client.ok('presence:list', { userIds: [bob.user.id] })).users[0].status).toBe('online');
    alice.client.clear();
    await bob.client.ok('presence:set', { status: 'busy' });
    await carol.client.waitFor('presence:update', (p) => p.userId === bob.user.id && p.status === 'busy');
    await settle();
    expect(updatesAbout(alice.client, bob.user.id)).toEqual([]);
    // Bob still sees Alice as she is (blocking is one way).
    expect((await bob.client.ok('presence:list', { userIds: [alice.user.id] })).users[0].status).toBe('online');

    await bob.client.ok('user:unblock', { userId: alice.user.id });
    expect(await alice.client.waitFor('presence:update', (p) => p.userId === bob.user.id && p.status === 'busy')).toMatchObject({
      status: 'busy',
      connections: 1,
    });
    expect(await seen()).toMatchObject({ status: 'busy' });
  });

  it('a blocker coming online is announced to their other subscribers, not to the users they blocked', async () => {
    // Bob has blocked Alice and Dave and is offline; Alice, Carol and Dave watch him.
    const [alice, bob, carol, dave] = await Promise.all([pool.signIn(), pool.user(1), pool.signIn(), pool.signIn()]);
    for (const userId of [alice.user.id, dave.user.id]) expect(await bob.tabs[0].ok('user:block', { userId })).toEqual({});
    for (const viewer of [alice, carol, dave]) await viewer.client.ok('presence:subscribe', { userIds: [bob.user.id] });
    bob.tabs[0].close();
    await carol.client.waitFor('presence:update', (p) => p.userId === bob.user.id && p.status === 'offline', AFTER_GRACE_MS * 2);
    for (const viewer of [alice, carol, dave]) viewer.client.clear();

    // His first socket again: the block list read with his rooms in the handshake leaves them out.
    await pool.signIn(bob);
    expect(await carol.client.waitFor('presence:update', (p) => p.userId === bob.user.id)).toMatchObject({
      status: 'online',
      connections: 1,
    });
    await settle();
    expect(updatesAbout(alice.client, bob.user.id)).toEqual([]);
    expect(updatesAbout(dave.client, bob.user.id)).toEqual([]);
  });

  it('user:blocks pages the blocked users; block and unblock are idempotent; bad input and unknown users are refused', async () => {
    const [me, ...others] = await Promise.all([pool.user(), pool.user(0), pool.user(0), pool.user(0)]);
    const [c] = me.tabs;
    for (const o of others) await c.ok('user:block', { userId: o.user.id });
    await c.ok('user:block', { userId: others[0].user.id });
    const ids = others.map((o) => o.user.id).sort();
    const first = await c.ok('user:blocks', { limit: 2 });
    expect(first).toMatchObject({ hasMore: true, next: ids[1] });
    expect(first.users.map((u) => u.id)).toEqual(ids.slice(0, 2));
    expect(first.users[0]).toEqual(others.find((o) => o.user.id === ids[0])!.user);
    const second = await c.ok('user:blocks', { after: first.next, limit: 2 });
    expect(second).toEqual({ users: [others.find((o) => o.user.id === ids[2])!.user], hasMore: false });
    expect((await c.ok('user:blocks', {})).users).toHaveLength(3);
    await c.ok('user:unblock', { userId: others[1].user.id });
    await c.ok('user:unblock', { userId: others[1].user.id });
    expect((await c.ok('user:blocks', {})).users.map((u) => u.id)).toEqual(ids.filter((id) => id !== others[1].user.id));

    for (const [event, bad] of [
      ['user:block', {}],
      ['user:block', { userId: '' }],
      ['user:block', { userId: 5 }],
      ['user:block', { userId: me.user.id }],
      ['user:block', { userId: others[0].user.id, until: 'forever' }],
      ['user:unblock', { userId: me.user.id }],
      ['user:blocks', { limit: 0 }],
      ['user:blocks', { limit: 101 }],
      ['user:blocks', { after: 3 }],
    ] as const) {
      expect(await c.request(event, bad)).toMatchObject(refused('BAD_REQUEST', 'INVALID_PAYLOAD'));
    }
    expect(await c.request('user:block', { userId: 'no-such-user' })).toMatchObject(refused('NOT_FOUND', 'USER_NOT_FOUND'));
    expect(await c.request('user:unblock', { userId: 'no-such-user' })).toMatchObject(refused('NOT_FOUND', 'USER_NOT_FOUND'));
  });

  it(`caps blocks at ${MAX_BLOCKS_PER_USER} per user`, async () => {
    const [me, owner, extra] = await Promise.all([pool.user(), pool.user(), pool.user(0)]);
    const db = t.app.get<Kysely<Database>>(DATABASE);
    const room = await createRoom(owner.tabs[0], 'seed');
    const seeded = await seedMembers(db, room.id, MAX_BLOCKS_PER_USER - 1);
    const at = new Date().toISOString();
    for (let i = 0; i < seeded.length; i += 500) {
      await db
        .insertInto('user_blocks')
        .values(seeded.slice(i, i + 500).map((id) => ({ blocker_id: me.user.id, blocked_id: id, created_at: at })))
        .execute();
    }
    await me.tabs[0].ok('user:block', { userId: owner.user.id }); // the last one allowed
    expect(await me.tabs[0].request('user:block', { userId: extra.user.id })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', reason: 'LIMIT_REACHED', details: { limit: MAX_BLOCKS_PER_USER } },
    });
    expect(await me.tabs[0].ok('user:block', { userId: owner.user.id })).toEqual({}); // blocking again costs nothing
    let pages = 0;
    let after: string | undefined;
    let total = 0;
    do {
      const page = await me.tabs[0].ok('user:blocks', after ? { after, limit: 100 } : { limit: 100 });
      total += page.users.length;
      after = page.next;
      pages += 1;
    } while (after);
    expect({ pages, total }).toEqual({ pages: 10, total: MAX_BLOCKS_PER_USER });
  });
});
