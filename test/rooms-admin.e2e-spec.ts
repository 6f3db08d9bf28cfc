import type { Room } from '../src/contracts';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, settle, type TestClient, type UserWithTabs } from './support/clients';
import { createRoom, send } from './support/chat';

/** Room administration: roles, room:update, room:set-role, room:kick, room:delete. */
describe('rooms: administration', () => {
  let t: TestApp;
  const pool = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp();
  });
  afterEach(() => pool.closeAll());
  afterAll(() => t.close());

  /** A public room with an owner (2 tabs), an admin, a member (2 tabs), a former member and an outsider. */
  async function cast(visibility: 'public' | 'private' = 'public') {
    const [owner, admin, member, former, outsider] = await Promise.all([pool.user(2), pool.user(), pool.user(2), pool.user(), pool.user()]);
    const room = await createRoom(owner.tabs[0], 'admin-room', { visibility, members: [admin.user.id, member.user.id, former.user.id] });
    await owner.tabs[0].ok('room:set-role', { roomId: room.id, userId: admin.user.id, role: 'admin' });
    await former.tabs[0].ok('room:leave', { roomId: room.id });
    await settle();
    for (const u of [owner, admin, member, former, outsider]) for (const tab of u.tabs) tab.clear();
    return { owner, admin, member, former, outsider, room };
  }

  const refused = (code: string, reason?: string) => ({ ok: false, error: reason ? { code, reason } : { code } });
  const tabsOf = (...users: UserWithTabs[]): TestClient[] => users.flatMap((u) => u.tabs);

  describe('room:update', () => {
    it('lets the owner and admins rename and change visibility; every member tab but the acting one gets room:updated', async () => {
      const { owner, admin, member, former, outsider, room } = await cast();
      const renamed = await owner.tabs[0].ok('room:update', { roomId: room.id, name: '  Renamed  ' });
      expect(renamed).toEqual({ ...room, name: 'Renamed', memberCount: 3 });
      for (const tab of [owner.tabs[1], ...tabsOf(admin, member)]) expect(await tab.waitFor('room:updated')).toEqual({ room: renamed });
      const hidden = await admin.tabs[0].ok('room:update', { roomId: room.id, visibility: 'private' });
      expect(hidden).toMatchObject({ name: 'Renamed', visibility: 'private' });
      await member.tabs[0].waitFor('room:updated', (e) => e.room.visibility === 'private');
      await settle();
      expect(owner.tabs[0].all('room:updated')).toHaveLength(1); // the admin's change only
      expect(admin.tabs[0].all('room:updated')).toHaveLength(1); // the owner's change only
      for (const tab of tabsOf(former, outsider)) expect(tab.all('room:updated')).toEqual([]);
      // Private now: the former member and the outsider cannot find it any more.
      expect(await outsider.tabs[0].request('room:join', { roomId: room.id })).toMatchObject(refused('NOT_FOUND', 'ROOM_NOT_FOUND'));
      expect((await owner.tabs[0].ok('room:list', {})).rooms.find((r) => r.id === room.id)).toEqual(hidden);
    });

    it('refuses bad input', async () => {
      const { owner, room } = await cast();
      for (const bad of [
        {},
        { roomId: room.id },
        { roomId: room.id, name: '' },
        { roomId: room.id, name: '   ' },
        { roomId: room.id, name: 'x'.repeat(65) },
        { roomId: room.id, visibility: 'secret' },
        { roomId: room.id, name: 5 },
        { roomId: room.id, name: 'ok', ownerId: owner.user.id },
        'not an object',
      ]) {
        expect(await owner.tabs[0].request('room:update', bad)).toMatchObject(refused('BAD_REQUEST', 'INVALID_PAYLOAD'));
      }
      expect((await owner.tabs[0].ok('room:join', { roomId: room.id })).room.name).toBe('admin-room');
    });

    it('refuses a plain member, a non-member and an unknown room, and tells nobody', async () => {
      const { member, former, outsider, owner, room } = await cast();
      expect(await member.tabs[0].request('room:update', { roomId: room.id, name: 'mine' })).toMatchObject(
        refused('FORBIDDEN', 'ROOM_ROLE_REQUIRED'),
      );
      expect(await former.tabs[0].request('room:update', { roomId: room.id, name: 'mine' })).toMatchObject(
        refused('FORBIDDEN', 'NOT_A_MEMBER'),
      );
      expect(await outsider.tabs[0].request('room:update', { roomId: 'no-such-room', name: 'x' })).toMatchObject(refused('NOT_FOUND'));
      const secret = await createRoom(owner.tabs[0], 'secret', { visibility: 'private' });
      expect(await outsider.tabs[0].request('room:update', { roomId: secret.id, name: 'x' })).toMatchObject(
        refused('NOT_FOUND', 'ROOM_NOT_FOUND'),
      );
      await settle();
      for (const tab of tabsOf(owner, member)) expect(tab.all('room:updated')).toEqual([]);
    });
  });

  describe('room:set-role', () => {
    it('lets the owner make admins and plain members again; room:members shows the role', async () => {
      const { owner, admin, member, room } = await cast();
      const roles = async () =>
        new Map((await member.tabs[0].ok('room:members', { roomId: room.id })).members.map((m) => [m.userId, m.role]));
      expect(await roles()).toEqual(
        new Map([
          [owner.user.id, 'owner'],
          [admin.user.id, 'admin'],
          [member.user.id, 'member'],
        ]),
      );
      expect(await owner.tabs[0].ok('room:set-role', { roomId: room.id, userId: admin.user.id, role: 'member' })).toEqual({});
      expect(await owner.tabs[0].ok('room:set-role', { roomId: room.id, userId: member.user.id, role: 'admin' })).toEqual({});
      expect(await roles()).toEqual(
        new Map([
          [owner.user.id, 'owner'],
          [admin.user.id, 'member'],
          [member.user.id, 'admin'],
        ]),
      );
      // The new admin administers; the former one no longer does.
      await member.tabs[0].ok('room:update', { roomId: room.id, name: 'by the new admin' });
      expect(await admin.tabs[0].request('room:update', { roomId: room.id, name: 'x' })).toMatchObject(
        refused('FORBIDDEN', 'ROOM_ROLE_REQUIRED'),
      );
    });

    it('refuses bad input, anyone but the owner, the owner’s own role and a non-member target', async () => {
      const { owner, admin, member, former, outsider, room } = await cast();
      for (const bad of [
        {},
        { roomId: room.id, userId: member.user.id },
        { roomId: room.id, userId: member.user.id, role: 'owner' },
        { roomId: room.id, userId: member.user.id, role: 'ADMIN' },
        { roomId: room.id, userId: 7, role: 'admin' },
      ]) {
        expect(await owner.tabs[0].request('room:set-role', bad)).toMatchObject(refused('BAD_REQUEST'));
      }
      expect(await owner.tabs[0].request('room:set-role', { roomId: room.id, userId: owner.user.id, role: 'member' })).toMatchObject(
        refused('BAD_REQUEST'),
      );
      expect(await admin.tabs[0].request('room:set-role', { roomId: room.id, userId: member.user.id, role: 'admin' })).toMatchObject(
        refused('FORBIDDEN', 'ROOM_ROLE_REQUIRED'),
      );
      expect(await member.tabs[0].request('room:set-role', { roomId: room.id, userId: member.user.id, role: 'admin' })).toMatchObject(
        refused('FORBIDDEN', 'ROOM_ROLE_REQUIRED'),
      );
      expect(await outsider.tabs[0].request('room:set-role', { roomId: room.id, userId: outsider.user.id, role: 'admin' })).toMatchObject(
        refused('FORBIDDEN', 'NOT_A_MEMBER'),
      );
      expect(await owner.tabs[0].request('room:set-role', { roomId: room.id, userId: former.user.id, role: 'admin' })).toMatchObject(
        refused('NOT_FOUND', 'MEMBER_NOT_FOUND'),
      );
      const roles = (await owner.tabs[0].ok('room:members', { roomId: room.id })).members.map((m) => m.role).sort();
      expect(roles).toEqual(['admin', 'member', 'owner']);
    });
  });

  describe('room:kick', () => {
    it('removes a member: every tab of theirs stops receiving the room; the room and they are told "kicked"', async () => {
      const { owner, admin, member, former, outsider, room } = await cast();
      expect(await admin.tabs[0].ok('room:kick', { roomId: room.id, userId: member.user.id })).toEqual({});
      const left = { roomId: room.id, userId: member.user.id, reason: 'kicked' };
      for (const tab of [...tabsOf(owner, member)]) expect(await tab.waitFor('room:member-left')).toEqual(left);
      const after = await send(owner.tabs[0], { roomId: room.id, content: 'after the kick' });
      await admin.tabs[0].waitFor('message:new', (m) => m.id === after.id);
      const late = await pool.connect(member.token);
      await settle();
      for (const tab of [...member.tabs, late]) expect(tab.all('message:new')).toEqual([]);
      expect(admin.tabs[0].all('room:member-left')).toEqual([]); // the acting socket has the ack
      for (const tab of tabsOf(former, outsider)) expect(tab.all('room:member-left')).toEqual([]);
      expect(await member.tabs[0].request('message:send', { roomId: room.id, content: 'x' })).toMatchObject(
        refused('FORBIDDEN', 'NOT_A_MEMBER'),
      );
      expect((await owner.tabs[0].ok('room:join', { roomId: room.id })).room.memberCount).toBe(2);
      // A public room: the kicked user may come back by their own room:join.
      await member.tabs[1].ok('room:join', { roomId: room.id });
    });

    it('follows the role rules: the owner kicks admins, an admin kicks neither the owner nor another admin', async () => {
      const { owner, admin, member, room } = await cast();
      const second = await pool.user();
      await owner.tabs[0].ok('room:invite', { roomId: room.id, userId: second.user.id });
      await second.tabs[0].ok('room:join', { roomId: room.id });
      await owner.tabs[0].ok('room:set-role', { roomId: room.id, userId: second.user.id, role: 'admin' });
      const denied = refused('FORBIDDEN', 'ROOM_ROLE_REQUIRED');
      expect(await admin.tabs[0].request('room:kick', { roomId: room.id, userId: owner.user.id })).toMatchObject(denied);
      expect(await admin.tabs[0].request('room:kick', { roomId: room.id, userId: second.user.id })).toMatchObject(denied);
      expect(await member.tabs[0].request('room:kick', { roomId: room.id, userId: admin.user.id })).toMatchObject(denied);
      expect(await member.tabs[0].request('room:kick', { roomId: room.id, userId: member.user.id })).toMatchObject(refused('BAD_REQUEST'));
      expect(await owner.tabs[0].request('room:kick', { roomId: room.id, userId: owner.user.id })).toMatchObject(refused('BAD_REQUEST'));
      expect(await owner.tabs[0].ok('room:kick', { roomId: room.id, userId: second.user.id })).toEqual({});
      expect(await second.tabs[0].waitFor('room:member-left')).toMatchObject({ userId: second.user.id, reason: 'kicked' });
      const ids = (await owner.tabs[0].ok('room:members', { roomId: room.id })).members.map((m) => m.userId).sort();
      expect(ids).toEqual([owner.user.id, admin.user.id, member.user.id].sort());
    });

    it('refuses bad input, a non-member caller and a target who is not a member', async () => {
      const { owner, member, former, outsider, room } = await cast();
      for (const bad of [
        {},
        { roomId: room.id },
        { roomId: room.id, userId: '' },
        { roomId: room.id, userId: member.user.id, reason: 'spam' },
      ]) {
        expect(await owner.tabs[0].request('room:kick', bad)).toMatchObject(refused('BAD_REQUEST'));
      }
      expect(await outsider.tabs[0].request('room:kick', { roomId: room.id, userId: member.user.id })).toMatchObject(
        refused('FORBIDDEN', 'NOT_A_MEMBER'),
      );
      expect(await owner.tabs[0].request('room:kick', { roomId: room.id, userId: former.user.id })).toMatchObject(
        refused('NOT_FOUND', 'MEMBER_NOT_FOUND'),
      );
      expect(await owner.tabs[0].request('room:kick', { roomId: 'no-such-room', userId: member.user.id })).toMatchObject(
        refused('NOT_FOUND', 'ROOM_NOT_FOUND'),
      );
      await settle();
      for (const tab of member.tabs) expect(tab.all('room:member-left')).toEqual([]);
    });

    it('a kick from a private room keeps the user out until invited again', async () => {
      const { owner, member, room } = await cast('private');
      await owner.tabs[0].ok('room:kick', { roomId: room.id, userId: member.user.id });
      expect(await member.tabs[0].request('room:join', { roomId: room.id })).toMatchObject(refused('NOT_FOUND', 'ROOM_NOT_FOUND'));
      await owner.tabs[0].ok('room:invite', { roomId: room.id, userId: member.user.id });
      await member.tabs[0].ok('room:join', { roomId: room.id });
    });
  });

  describe('room:delete', () => {
    it('deletes the room: members get room:deleted once, nobody receives it any more, and it is gone', async () => {
      const { owner, admin, member, former, outsider, room } = await cast();
      expect(await owner.tabs[0].ok('room:delete', { roomId: room.id })).toEqual({});
      for (const tab of [owner.tabs[1], ...tabsOf(admin, member)]) expect(await tab.waitFor('room:deleted')).toEqual({ roomId: room.id });
      await settle();
      expect(owner.tabs[0].all('room:deleted')).toEqual([]);
      for (const tab of tabsOf(former, outsider)) expect(tab.all('room:deleted')).toEqual([]);
      for (const tab of tabsOf(owner, admin, member)) expect(tab.all('room:deleted')).toHaveLength(tab === owner.tabs[0] ? 0 : 1);
      const notFound = refused('NOT_FOUND');
      expect(await member.tabs[0].request('message:send', { roomId: room.id, content: 'x' })).toMatchObject(notFound);
      expect(await member.tabs[0].request('room:join', { roomId: room.id })).toMatchObject(notFound);
      expect(await owner.tabs[0].request('message:history', { conversationId: `room:${room.id}` })).toMatchObject(notFound);
      expect(await owner.tabs[0].request('room:delete', { roomId: room.id })).toMatchObject(notFound);
      for (const u of [owner, admin, member])
        expect((await u.tabs[0].ok('room:list', {})).rooms.map((r: Room) => r.id)).not.toContain(room.id);
      expect((await outsider.tabs[0].ok('room:list', { scope: 'public' })).rooms.map((r: Room) => r.id)).not.toContain(room.id);
    });

    it('refuses anyone but the owner, and bad input', async () => {
      const { owner, admin, member, outsider, room } = await cast();
      expect(await admin.tabs[0].request('room:delete', { roomId: room.id })).toMatchObject(refused('FORBIDDEN', 'ROOM_ROLE_REQUIRED'));
      expect(await member.tabs[0].request('room:delete', { roomId: room.id })).toMatchObject(refused('FORBIDDEN', 'ROOM_ROLE_REQUIRED'));
      expect(await outsider.tabs[0].request('room:delete', { roomId: room.id })).toMatchObject(refused('FORBIDDEN', 'NOT_A_MEMBER'));
      for (const bad of [{}, { roomId: '' }, { roomId: room.id, force: true }, [room.id]]) {
        expect(await owner.tabs[0].request('room:delete', bad)).toMatchObject(refused('BAD_REQUEST'));
      }
      await settle();
      for (const tab of tabsOf(owner, admin, member)) expect(tab.all('room:deleted')).toEqual([]);
      expect((await member.tabs[0].ok('room:join', { roomId: room.id })).room.memberCount).toBe(3);
    });
  });
});
