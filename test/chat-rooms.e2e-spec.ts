import { startApp, type TestApp } from './support/app';
import { ClientTracker, settle } from './support/clients';
import { contents, createRoom, send } from './support/chat';

describe('chat: rooms', () => {
  let t: TestApp;
  const pool = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp();
  });
  afterEach(() => pool.closeAll());
  afterAll(() => t.close());

  describe('room:create', () => {
    it('creates a room owned by the caller; initial members are in and are told with room:invited', async () => {
      const owner = await pool.user(2);
      const bob = await pool.user(2);
      const outsider = await pool.user();
      const room = await createRoom(owner.tabs[0], '  Team  ', {
        visibility: 'private',
        members: [bob.user.id, bob.user.id, owner.user.id],
      });
      expect(room).toEqual({
        id: expect.any(String),
        name: 'Team',
        visibility: 'private',
        ownerId: owner.user.id,
        memberCount: 2,
        createdAt: expect.any(String),
      });
      for (const tab of bob.tabs) expect(await tab.waitFor('room:invited')).toEqual({ room, by: owner.user });
      // Both of bob's already-open tabs receive the room without any join step, and so do the owner's.
      const hello = await send(owner.tabs[0], { roomId: room.id, content: 'welcome' });
      expect(hello).toMatchObject({ conversationId: `room:${room.id}`, seq: 1, roomId: room.id });
      expect(hello.to).toBeUndefined();
      await Promise.all([...bob.tabs, owner.tabs[1]].map((tab) => tab.waitFor('message:new', (m) => m.id === hello.id)));
      await settle();
      expect(owner.tabs[0].all('message:new')).toEqual([]);
      expect(outsider.tabs[0].received.map((r) => r.event)).not.toEqual(expect.arrayContaining(['room:invited']));
      expect(outsider.tabs[0].all('message:new')).toEqual([]);
      expect(owner.tabs[0].all('room:invited')).toEqual([]);
    });

    it('refuses bad input and unknown members', async () => {
      const owner = await pool.user();
      const [c] = owner.tabs;
      for (const bad of [
        {},
        { name: '' },
        { name: '   ' },
        { name: 'x'.repeat(65) },
        { name: 'a', visibility: 'secret' },
        { name: 'a', members: 'bob' },
        { name: 'a', members: [1] },
        { name: 'a', ownerId: owner.user.id },
      ]) {
        expect(await c.request('room:create', bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      }
      const ack = await c.request('room:create', { name: 'a', members: ['no-such-user'] });
      expect(ack).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { userIds: ['no-such-user'] } } });
      expect((await c.ok('room:list', {})).rooms).toEqual([]);
    });
  });

  describe('room:list', () => {
    it("lists joined rooms by default, public rooms with scope public (never others' private ones)", async () => {
      const alice = await pool.user();
      const bob = await pool.user();
      const pub = await createRoom(alice.tabs[0], 'zz-public-list');
      const priv = await createRoom(alice.tabs[0], 'zz-private-list', { visibility: 'private' });
      const joined = (await alice.tabs[0].ok('room:list', { scope: 'joined' })).rooms;
      expect(joined.map((r) => r.id).sort()).toEqual([pub.id, priv.id].sort());
      expect((await bob.tabs[0].ok('room:list', {})).rooms).toEqual([]);
      const publicRooms = (await bob.tabs[0].ok('room:list', { scope: 'public' })).rooms.map((r) => r.id);
      expect(publicRooms).toContain(pub.id);
      expect(publicRooms).not.toContain(priv.id);
      expect(await bob.tabs[0].request('room:list', { scope: 'all' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    });
  });

  describe('room:join', () => {
    it('joins a public room: members list, room:member-joined to the members, messages from then on', async () => {
      const owner = await pool.user();
      const joiner = await pool.user(2);
      const outsider = await pool.user();
      const room = await createRoom(owner.tabs[0], 'open');
      const joined = await joiner.tabs[0].ok('room:join', { roomId: room.id });
      expect(joined.room).toMatchObject({ id: room.id, memberCount: 2, ownerId: owner.user.id });
      expect(joined.members).toEqual([
        { userId: owner.user.id, username: owner.user.username, role: 'owner', online: true, status: 'online' },
        { userId: joiner.user.id, username: joiner.user.username, role: 'member', online: true, status: 'online' },
      ]);
      expect(joined.hasMore).toBe(false);
      expect(joined.next).toBeUndefined();
      expect(await owner.tabs[0].waitFor('room:member-joined')).toEqual({ roomId: room.id, user: joiner.user });
      await joiner.tabs[1].waitFor('room:member-joined');
      await settle();
      expect(joiner.tabs[0].all('room:member-joined')).toEqual([]);
      expect(outsider.tabs[0].all('room:member-joined')).toEqual([]);

      // Joining again is harmless and tells nobody.
      expect((await joiner.tabs[1].ok('room:join', { roomId: room.id })).room.memberCount).toBe(2);
      const m = await send(owner.tabs[0], { roomId: room.id, content: 'hi all' });
      await Promise.all(joiner.tabs.map((tab) => tab.waitFor('message:new', (x) => x.id === m.id)));
      await settle();
      expect(owner.tabs[0].all('room:member-joined')).toHaveLength(1);
      expect(outsider.tabs[0].all('message:new')).toEqual([]);
    });

    it('refuses a private room to an outsider (as if it did not exist), who receives nothing of it', async () => {
      const owner = await pool.user();
      const member = await pool.user();
      const outsider = await pool.user(2);
      const room = await createRoom(owner.tabs[0], 'secret', { visibility: 'private', members: [member.user.id] });
      expect(await outsider.tabs[0].request('room:join', { roomId: room.id })).toEqual({
        ok: false,
        error: { code: 'NOT_FOUND', reason: 'ROOM_NOT_FOUND', message: 'Room not found' },
      });
      // A private room is not revealed to an outsider: sending to it is answered as to an unknown room.
      expect(await outsider.tabs[0].request('message:send', { roomId: room.id, content: 'let me in' })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      const m = await send(owner.tabs[0], { roomId: room.id, content: 'members only' });
      await member.tabs[0].waitFor('message:new', (x) => x.id === m.id);
      await settle();
      for (const tab of outsider.tabs)
        expect(tab.received.filter((r) => r.event.startsWith('message') || r.event.startsWith('room'))).toEqual([]);
      expect(contents(member.tabs[0])).toEqual(['members only']);
    });

    it('answers NOT_FOUND for an unknown room and BAD_REQUEST for bad input', async () => {
      const u = await pool.user();
      expect(await u.tabs[0].request('room:join', { roomId: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      for (const bad of [{}, { roomId: '' }, { roomId: 5 }, { roomId: 'x', userId: u.user.id }]) {
        expect(await u.tabs[0].request('room:join', bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      }
    });
  });

  describe('room:invite', () => {
    it('lets a member invite; the invitee is told and may then join the private room', async () => {
      const owner = await pool.user();
      const member = await pool.user();
      const invitee = await pool.user(2);
      const bystander = await pool.user();
      const room = await createRoom(owner.tabs[0], 'crew', { visibility: 'private', members: [member.user.id] });
      expect(await member.tabs[0].ok('room:invite', { roomId: room.id, userId: invitee.user.id })).toEqual({
        roomId: room.id,
        userId: invitee.user.id,
      });
      for (const tab of invitee.tabs) {
        expect(await tab.waitFor('room:invited')).toEqual({ room: expect.objectContaining({ id: room.id }), by: member.user });
      }
      await settle();
      expect(bystander.tabs[0].all('room:invited')).toEqual([]);
      expect(owner.tabs[0].all('room:invited')).toEqual([]);
      // Invited is not yet a member: nothing is delivered before the join.
      const before = await send(owner.tabs[0], { roomId: room.id, content: 'before join' });
      await member.tabs[0].waitFor('message:new', (m) => m.id === before.id);
      await settle();
      expect(invitee.tabs[0].all('message:new')).toEqual([]);

      const joined = await invitee.tabs[0].ok('room:join', { roomId: room.id });
      expect(joined.room.memberCount).toBe(3);
      const after = await send(owner.tabs[0], { roomId: room.id, content: 'after join' });
      await Promise.all(invitee.tabs.map((tab) => tab.waitFor('message:new', (m) => m.id === after.id)));
      expect(contents(invitee.tabs[1])).toEqual(['after join']);
    });

    it('refuses non-members, unknown users/rooms and bad input', async () => {
      const owner = await pool.user();
      const outsider = await pool.user();
      const target = await pool.user();
      const room = await createRoom(owner.tabs[0], 'closed', { visibility: 'private' });
      const open = await createRoom(owner.tabs[0], 'open');
      expect(await outsider.tabs[0].request('room:invite', { roomId: room.id, userId: target.user.id })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      expect(await outsider.tabs[0].request('room:invite', { roomId: open.id, userId: target.user.id })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await owner.tabs[0].request('room:invite', { roomId: room.id, userId: 'ghost' })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      expect(await owner.tabs[0].request('room:invite', { roomId: 'ghost', userId: target.user.id })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      expect(await owner.tabs[0].request('room:invite', { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      await settle();
      expect(target.tabs[0].all('room:invited')).toEqual([]);
      // The refused invite let nobody in.
      expect(await target.tabs[0].request('room:join', { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    });
  });

  describe('room:leave', () => {
    it('stops delivery to every tab of the leaver and tells the others', async () => {
      const owner = await pool.user();
      const leaver = await pool.user(2);
      const room = await createRoom(owner.tabs[0], 'temp', { members: [leaver.user.id] });
      expect(await leaver.tabs[0].ok('room:leave', { roomId: room.id })).toEqual({ roomId: room.id });
      expect(await owner.tabs[0].waitFor('room:member-left')).toEqual({ roomId: room.id, userId: leaver.user.id, reason: 'left' });
      expect(await leaver.tabs[1].waitFor('room:member-left')).toEqual({ roomId: room.id, userId: leaver.user.id, reason: 'left' });

      const m = await send(owner.tabs[0], { roomId: room.id, content: 'gone?' });
      expect(m.seq).toBe(1);
      // A tab opened after leaving is not subscribed either.
      const late = await pool.connect(leaver.token);
      await settle(200);
      for (const tab of [...leaver.tabs, late]) expect(tab.all('message:new')).toEqual([]);
      expect(await leaver.tabs[0].request('message:send', { roomId: room.id, content: 'x' })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await leaver.tabs[0].request('message:history', { conversationId: `room:${room.id}` })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
    });

    it('passes ownership to the longest-standing member; an emptied room is kept and the next joiner owns it', async () => {
      const owner = await pool.user();
      const first = await pool.user();
      const second = await pool.user();
      const room = await createRoom(owner.tabs[0], 'succession');
      await first.tabs[0].ok('room:join', { roomId: room.id });
      await second.tabs[0].ok('room:join', { roomId: room.id });
      await owner.tabs[0].ok('room:leave', { roomId: room.id });
      expect(await first.tabs[0].waitFor('room:member-left', (e) => e.userId === owner.user.id)).toEqual({
        roomId: room.id,
        userId: owner.user.id,
        ownerId: first.user.id,
        reason: 'left',
      });
      const state = await second.tabs[0].ok('room:join', { roomId: room.id });
      expect(state.room).toMatchObject({ ownerId: first.user.id, memberCount: 2 });
      expect(state.members.find((m) => m.userId === first.user.id)?.role).toBe('owner');

      await second.tabs[0].ok('room:leave', { roomId: room.id });
      await first.tabs[0].ok('room:leave', { roomId: room.id });
      const publicRooms = (await owner.tabs[0].ok('room:list', { scope: 'public' })).rooms;
      expect(publicRooms.find((r) => r.id === room.id)).toMatchObject({ memberCount: 0, ownerId: first.user.id });
      const rejoined = await owner.tabs[0].ok('room:join', { roomId: room.id });
      expect(rejoined.room).toMatchObject({ ownerId: owner.user.id, memberCount: 1 });
    });

    it('refuses a non-member and an unknown room', async () => {
      const owner = await pool.user();
      const other = await pool.user();
      const room = await createRoom(owner.tabs[0], 'mine');
      expect(await other.tabs[0].request('room:leave', { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await other.tabs[0].request('room:leave', { roomId: 'ghost' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(await other.tabs[0].request('room:leave', { roomId: 1 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      await settle();
      expect(owner.tabs[0].all('room:member-left')).toEqual([]);
    });
  });

  it('fans a room message out to every member tab (and subscribes tabs opened later)', async () => {
    const members = await Promise.all([pool.user(2), pool.user(1), pool.user(1)]);
    const outsider = await pool.user();
    const room = await createRoom(members[0].tabs[0], 'fanout', { members: members.slice(1).map((m) => m.user.id) });
    const lateTab = await pool.connect(members[1].token);
    const m = await send(members[2].tabs[0], { roomId: room.id, content: 'to everyone' });
    const receivers = [...members[0].tabs, members[1].tabs[0], lateTab];
    for (const tab of receivers) expect(await tab.waitFor('message:new', (x) => x.id === m.id)).toEqual(m);
    await settle();
    expect(members[2].tabs[0].all('message:new')).toEqual([]);
    expect(outsider.tabs[0].all('message:new')).toEqual([]);
    receivers.forEach((tab) => expect(tab.all('message:new')).toHaveLength(1));
  });
});
