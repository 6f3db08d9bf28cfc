import type { User } from '../contracts';
import { AccessRepository } from '../access/access.repository';
import { AccessService } from '../access/access.service';
import { RealtimeService } from '../realtime/realtime.service';
import type { PresenceQuery } from '../access/presence-query';
import { automock } from '../testing/automock';
import { UsersService } from '../users/users.service';
import { RoomsRepository, type RoomRow } from './rooms.repository';
import { AppError } from '../common/errors/app-error';
import { loadConfig } from '../config/app-config';
import { encodeMemberCursor } from '../access/member-cursor';
import { RoomsService } from './rooms.service';

const owner: User = { id: 'o', username: 'owner', displayName: 'Owner', createdAt: 't' };
const guest: User = { id: 'g', username: 'guest', displayName: 'Guest', createdAt: 't' };

function roomRow(overrides: Partial<RoomRow> = {}): RoomRow {
  return { id: 'r1', name: 'Room', visibility: 'public', owner_id: 'o', created_at: 't', member_count: 1, ...overrides };
}

function setup() {
  const rooms = automock(RoomsRepository);
  rooms.create.mockResolvedValue({ added: [], invited: [] });
  rooms.findById.mockResolvedValue(roomRow());
  rooms.addMember.mockImplementation(async (roomId, userId, _at, _limit, onChange) => {
    onChange({ kind: 'joined', roomId, userIds: [userId] });
    return true;
  });
  rooms.addInvite.mockResolvedValue(true);
  rooms.memberPage.mockResolvedValue({ items: [], hasMore: false });
  // The real access rules, over a public room the caller is not in unless a test says otherwise.
  const access = automock(AccessRepository);
  access.memberRole.mockResolvedValue(undefined);
  access.standing.mockResolvedValue({ visibility: 'public', invited: false });
  const users = automock(UsersService);
  users.findByIds.mockResolvedValue([]);
  const realtime = automock(RealtimeService);
  for (const call of [realtime.emit, realtime.join, realtime.leave]) call.mockReturnValue(undefined);
  realtime.othersCaughtUp.mockResolvedValue(undefined);
  const presence: PresenceQuery = { presenceOf: jest.fn(async () => new Map()), invisibleAmong: jest.fn(async () => new Set<string>()) };
  const service = new RoomsService(
    rooms as unknown as RoomsRepository,
    users as unknown as UsersService,
    new AccessService(access as unknown as AccessRepository),
    realtime as unknown as RealtimeService,
    presence,
    loadConfig({ MAX_ROOMS_PER_USER: '2' }),
  );
  return { service, rooms, access, users, realtime };
}

describe('RoomsService', () => {
  it('hands MAX_ROOMS_PER_USER to the repository, which checks it in the transaction', async () => {
    const { service, rooms } = setup();
    rooms.create.mockRejectedValue(AppError.limitReached('rooms per user', 2));
    await expect(service.create(owner, { name: 'third' })).rejects.toMatchObject({ code: 'FORBIDDEN', details: { limit: 2 } });
    expect(rooms.create).toHaveBeenCalledWith(expect.objectContaining({ name: 'third' }), [], 2, expect.any(Function));
  });

  it("creates a room with the caller as owner, subscribes the added members' sockets and tells added and invited members", async () => {
    const { service, rooms, users, realtime } = setup();
    users.findByIds.mockResolvedValue([guest, { ...guest, id: 'h' }]);
    rooms.create.mockImplementation(async (row, _ids, _limit, onChange) => {
      onChange({ kind: 'joined', roomId: row.id, userIds: ['o', 'g'] });
      return { added: ['g'], invited: ['h'] };
    });
    rooms.findById.mockResolvedValue(roomRow({ member_count: 2 }));
    const room = await service.create(owner, { name: '  Room ', members: ['g', 'g', 'o', 'h'] });
    expect(rooms.create).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'Room', visibility: 'public', owner_id: 'o' }),
      ['g', 'h'],
      2,
      expect.any(Function),
    );
    expect(realtime.join).toHaveBeenCalledWith('user:o', expect.stringMatching(/^room:/));
    expect(realtime.join).toHaveBeenCalledWith('user:g', expect.stringMatching(/^room:/));
    expect(realtime.join).not.toHaveBeenCalledWith('user:h', expect.anything());
    expect(realtime.emit).toHaveBeenCalledWith(['user:g', 'user:h'], 'room:invited', { room, by: owner });
    expect(room.memberCount).toBe(2);
  });

  it('refuses unknown initial members and a blank name', async () => {
    const { service, rooms } = setup();
    await expect(service.create(owner, { name: 'x', members: ['nobody'] })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { userIds: ['nobody'] },
    });
    await expect(service.create(owner, { name: '   ' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(rooms.create).not.toHaveBeenCalled();
  });

  it('answers a private room to a non-invitee exactly as an unknown room', async () => {
    const { service, rooms, access, realtime } = setup();
    access.standing.mockResolvedValueOnce({ visibility: 'private', invited: false });
    const hidden = await service.join(guest, 's', 'r1').catch((e: AppError) => e.toBody());
    access.standing.mockResolvedValueOnce(undefined);
    const unknown = await service.join(guest, 's', 'nope').catch((e: AppError) => e.toBody());
    expect(hidden).toEqual({ code: 'NOT_FOUND', reason: 'ROOM_NOT_FOUND', message: 'Room not found' });
    expect(unknown).toEqual(hidden);
    expect(rooms.addMember).not.toHaveBeenCalled();
    expect(realtime.emit).not.toHaveBeenCalled();
  });

  it('lets an invitee join a private room and tells the members', async () => {
    const { service, rooms, access, realtime } = setup();
    rooms.findById.mockResolvedValue(roomRow({ visibility: 'private' }));
    access.standing.mockResolvedValue({ visibility: 'private', invited: true });
    await service.join(guest, 's', 'r1');
    expect(rooms.addMember).toHaveBeenCalledWith('r1', 'g', expect.any(String), 2, expect.any(Function));
    expect(realtime.join).toHaveBeenCalledWith('user:g', 'room:r1');
    expect(realtime.emit).toHaveBeenCalledWith('room:r1', 'room:member-joined', { roomId: 'r1', user: guest }, 's');
  });

  it('answers a member at once: no write, no event, the first page of members', async () => {
    const { service, rooms, access, realtime } = setup();
    rooms.findById.mockResolvedValue(roomRow({ member_count: 120 }));
    access.standing.mockResolvedValue({ visibility: 'public', role: 'member', invited: false });
    rooms.memberPage.mockResolvedValue({ items: [], hasMore: true, next: 'n1' });
    expect(await service.join(guest, 's', 'r1')).toEqual({
      room: expect.objectContaining({ memberCount: 120 }),
      members: [],
      hasMore: true,
      next: 'n1',
    });
    expect(rooms.memberPage).toHaveBeenCalledWith('r1', undefined, 50);
    expect(rooms.addMember).not.toHaveBeenCalled();
    expect(realtime.emit).not.toHaveBeenCalled();
    expect(realtime.join).not.toHaveBeenCalled();
  });

  it('pages members from a cursor and refuses a malformed one before reading anything', async () => {
    const { service, rooms, access } = setup();
    access.memberRole.mockResolvedValue('member');
    const after = encodeMemberCursor({ joinedAt: '2026-01-01T00:00:00.000Z', userId: 'u9' });
    await service.members(guest, 'r1', after, 10);
    expect(access.memberRole).toHaveBeenCalledWith('r1', 'g');
    expect(rooms.memberPage).toHaveBeenCalledWith('r1', { joinedAt: '2026-01-01T00:00:00.000Z', userId: 'u9' }, 10);
    rooms.memberPage.mockClear();
    for (const bad of ['not a cursor', 'e30', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["a"]').toString('base64url')]) {
      await expect(service.members(guest, 'r1', bad, 10)).rejects.toMatchObject({ code: 'BAD_REQUEST', details: [{ field: 'after' }] });
    }
    expect(rooms.memberPage).not.toHaveBeenCalled();
  });

  it('announces the new owner when the owner leaves, and unsubscribes every socket of the leaver', async () => {
    const { service, rooms, realtime } = setup();
    rooms.removeMember.mockImplementation(async (roomId, userId, how) => {
      how.onChange({ kind: 'left', roomId, userId, reason: how.reason });
      return { removed: true, newOwnerId: 'g' };
    });
    await service.leave(owner, 's', 'r1');
    expect(realtime.leave).toHaveBeenCalledWith('user:o', 'room:r1');
    // Answered only after the other instances caught up with the move.
    expect(realtime.othersCaughtUp.mock.invocationCallOrder[0]).toBeGreaterThan(realtime.leave.mock.invocationCallOrder[0]);
    expect(realtime.emit).toHaveBeenCalledWith(
      ['room:r1', 'user:o'],
      'room:member-left',
      { roomId: 'r1', userId: 'o', ownerId: 'g', reason: 'left' },
      's',
    );
  });

  it('leaves every room of a deleted user with one wait for the other instances, skipping one already left, then tells each room', async () => {
    const { service, rooms, realtime } = setup();
    rooms.removeMember.mockImplementation(async (roomId, userId, how) => {
      if (roomId === 'gone') return { removed: false };
      how.onChange({ kind: 'left', roomId, userId, reason: how.reason });
      return roomId === 'r1' ? { removed: true, newOwnerId: 'g' } : { removed: true };
    });
    await service.leaveEvery(owner, ['r1', 'gone', 'r2']);
    expect(realtime.leave.mock.calls).toEqual([
      ['user:o', 'room:r1'],
      ['user:o', 'room:r2'],
    ]);
    expect(realtime.othersCaughtUp).toHaveBeenCalledTimes(1);
    expect(realtime.othersCaughtUp.mock.invocationCallOrder[0]).toBeGreaterThan(realtime.leave.mock.invocationCallOrder[1]);
    expect(realtime.emit.mock.calls).toEqual([
      [['room:r1', 'user:o'], 'room:member-left', { roomId: 'r1', userId: 'o', ownerId: 'g', reason: 'deleted' }, undefined],
      [['room:r2', 'user:o'], 'room:member-left', { roomId: 'r2', userId: 'o', reason: 'deleted' }, undefined],
    ]);
    expect(realtime.emit.mock.invocationCallOrder[0]).toBeGreaterThan(realtime.othersCaughtUp.mock.invocationCallOrder[0]);
  });

  it('refuses to let a non-member leave: FORBIDDEN for a public room, NOT_FOUND for a hidden one', async () => {
    const { service, rooms, access, realtime } = setup();
    rooms.removeMember.mockResolvedValue({ removed: false });
    await expect(service.leave(guest, 's', 'r1')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    access.standing.mockResolvedValueOnce({ visibility: 'private', invited: false });
    await expect(service.leave(guest, 's', 'r1')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Room not found' });
    expect(realtime.leave).not.toHaveBeenCalled();
  });

  it('only lets members invite, bounds pending invites, and tells only the invitee', async () => {
    const { service, rooms, access, realtime } = setup();
    access.userExists.mockResolvedValue(true);
    await expect(service.invite(guest, 'r1', 'x')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    access.memberRole.mockResolvedValueOnce('owner');
    rooms.memberRole.mockResolvedValueOnce(undefined);
    expect(await service.invite(owner, 'r1', 'g')).toEqual({ roomId: 'r1', userId: 'g' });
    expect(rooms.addInvite).toHaveBeenCalledWith('r1', 'g', 'o', expect.any(String), 2);
    expect(realtime.emit).toHaveBeenCalledWith('user:g', 'room:invited', expect.objectContaining({ by: owner }));
  });
});
