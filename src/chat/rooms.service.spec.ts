import type { User } from '../contracts';
import type { RealtimeService } from '../common/ws/realtime.service';
import type { PresenceQuery } from '../presence/presence-query';
import type { UsersService } from '../users/users.service';
import type { RoomRow, RoomsRepository } from './rooms.repository';
import { loadConfig } from '../config/app-config';
import { RoomsService } from './rooms.service';

const owner: User = { id: 'o', username: 'owner', displayName: 'Owner', createdAt: 't' };
const guest: User = { id: 'g', username: 'guest', displayName: 'Guest', createdAt: 't' };

function roomRow(overrides: Partial<RoomRow> = {}): RoomRow {
  return { id: 'r1', name: 'Room', visibility: 'public', owner_id: 'o', created_at: 't', member_count: 1, ...overrides };
}

function setup() {
  const rooms = {
    create: jest.fn(),
    findById: jest.fn(async () => roomRow() as RoomRow | undefined),
    memberRole: jest.fn(),
    hasInvite: jest.fn(async () => false),
    addMember: jest.fn(async () => true),
    addInvite: jest.fn(),
    removeMember: jest.fn(),
    members: jest.fn(async () => []),
    roomIdsOf: jest.fn(async () => [] as string[]),
  };
  const users = { findByIds: jest.fn(async () => [] as User[]), findById: jest.fn() };
  const realtime = { emit: jest.fn(), join: jest.fn(), leave: jest.fn() };
  const presence: PresenceQuery = { presenceOf: jest.fn(async () => new Map()) };
  const service = new RoomsService(
    rooms as unknown as RoomsRepository,
    users as unknown as UsersService,
    realtime as unknown as RealtimeService,
    presence,
    loadConfig({ MAX_ROOMS_PER_USER: '2' }),
  );
  return { service, rooms, users, realtime };
}

describe('RoomsService', () => {
  it('refuses to create or join beyond MAX_ROOMS_PER_USER with FORBIDDEN and the limit', async () => {
    const { service, rooms } = setup();
    rooms.roomIdsOf.mockResolvedValue(['r1', 'r2']);
    const owner = { id: 'u1', username: 'u1', displayName: 'u1', createdAt: 'x' };
    await expect(service.create(owner, { name: 'third' })).rejects.toMatchObject({ code: 'FORBIDDEN', details: { limit: 2 } });
    expect(rooms.create).not.toHaveBeenCalled();
  });

  it("creates a room with the caller as owner, subscribes every member's sockets and tells the added members", async () => {
    const { service, rooms, users, realtime } = setup();
    users.findByIds.mockResolvedValue([guest]);
    rooms.findById.mockResolvedValue(roomRow({ member_count: 2 }));
    const room = await service.create(owner, { name: '  Room ', members: ['g', 'g', 'o'] });
    expect(rooms.create).toHaveBeenCalledWith(expect.objectContaining({ name: 'Room', visibility: 'public', owner_id: 'o' }), ['g']);
    expect(realtime.join).toHaveBeenCalledWith('user:o', expect.stringMatching(/^room:/));
    expect(realtime.join).toHaveBeenCalledWith('user:g', expect.stringMatching(/^room:/));
    expect(realtime.emit).toHaveBeenCalledWith(['user:g'], 'room:invited', { room, by: owner });
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

  it('refuses a private room to a user who is neither member nor invitee', async () => {
    const { service, rooms, realtime } = setup();
    rooms.findById.mockResolvedValue(roomRow({ visibility: 'private' }));
    await expect(service.join(guest, 's', 'r1')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(rooms.addMember).not.toHaveBeenCalled();
    expect(realtime.emit).not.toHaveBeenCalled();
  });

  it('lets an invitee join a private room and tells the members', async () => {
    const { service, rooms, realtime } = setup();
    rooms.findById.mockResolvedValue(roomRow({ visibility: 'private' }));
    rooms.hasInvite.mockResolvedValue(true);
    await service.join(guest, 's', 'r1');
    expect(realtime.join).toHaveBeenCalledWith('user:g', 'room:r1');
    expect(realtime.emit).toHaveBeenCalledWith('room:r1', 'room:member-joined', { roomId: 'r1', user: guest }, 's');
  });

  it('announces the new owner when the owner leaves, and unsubscribes every socket of the leaver', async () => {
    const { service, rooms, realtime } = setup();
    rooms.removeMember.mockResolvedValue({ removed: true, newOwnerId: 'g' });
    await service.leave(owner, 's', 'r1');
    expect(realtime.leave).toHaveBeenCalledWith('user:o', 'room:r1');
    expect(realtime.emit).toHaveBeenCalledWith(['room:r1', 'user:o'], 'room:member-left', { roomId: 'r1', userId: 'o', ownerId: 'g' }, 's');
  });

  it('refuses to let a non-member leave', async () => {
    const { service, rooms, realtime } = setup();
    rooms.removeMember.mockResolvedValue({ removed: false });
    await expect(service.leave(guest, 's', 'r1')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(realtime.leave).not.toHaveBeenCalled();
  });

  it('only lets members invite, and tells only the invitee', async () => {
    const { service, rooms, users, realtime } = setup();
    users.findById.mockResolvedValue(guest);
    rooms.memberRole.mockResolvedValueOnce(undefined);
    await expect(service.invite(guest, 'r1', 'x')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    rooms.memberRole.mockResolvedValueOnce('owner').mockResolvedValueOnce(undefined);
    expect(await service.invite(owner, 'r1', 'g')).toEqual({ roomId: 'r1', userId: 'g' });
    expect(rooms.addInvite).toHaveBeenCalledWith('r1', 'g', 'o', expect.any(String));
    expect(realtime.emit).toHaveBeenCalledWith('user:g', 'room:invited', expect.objectContaining({ by: owner }));
  });
});
