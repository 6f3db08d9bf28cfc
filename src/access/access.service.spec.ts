import { AppError } from '../common/errors/app-error';
import { automock } from '../testing/automock';
import { AccessRepository, type RoomRole, type RoomStanding } from './access.repository';
import { AccessService } from './access.service';
import { encodeMemberCursor } from './member-cursor';

/** Room r1 as the tests need it (any other room is unknown), and the users that exist. */
interface World {
  visibility?: RoomStanding['visibility'];
  members?: Record<string, RoomRole>;
  invited?: string[];
  users?: string[];
}

/** The real rules over an automocked repository that answers as the database would for `world`. */
function setup(world: World = {}) {
  const { visibility = 'public', members = {}, invited = [], users = ['a', 'b'] } = world;
  const repo = automock(AccessRepository);
  repo.memberRole.mockImplementation(async (roomId, userId) => (roomId === 'r1' ? members[userId] : undefined));
  repo.standing.mockImplementation(async (roomId, userId) => {
    if (roomId !== 'r1') return undefined;
    const role = members[userId];
    return role ? { visibility, role, invited: invited.includes(userId) } : { visibility, invited: invited.includes(userId) };
  });
  repo.userExists.mockImplementation(async (id) => users.includes(id));
  repo.userIdOfSubject.mockImplementation(async (subject) => (subject === 'sub-of-b' ? 'b' : undefined));
  return { repo, access: new AccessService(repo as unknown as AccessRepository) };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; reason: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return (error as AppError).toBody();
  }
  throw new Error('expected a refusal');
}

describe('AccessService', () => {
  describe('rooms', () => {
    it('lets a member in for one membership lookup', async () => {
      const { access, repo } = setup({ visibility: 'private', members: { a: 'member' } });
      expect(await access.requireRoomMember('a', 'r1', 'Members only')).toBe('member');
      expect(repo.memberRole).toHaveBeenCalledTimes(1);
      expect(repo.standing).not.toHaveBeenCalled();
    });

    it('refuses a non-member of a public room with FORBIDDEN and the caller’s message', async () => {
      const { access } = setup({ visibility: 'public' });
      expect(await refusal(access.requireRoomMember('a', 'r1', 'Members only'))).toEqual({
        code: 'FORBIDDEN',
        reason: 'NOT_A_MEMBER',
        message: 'Members only',
      });
    });

    it('refuses an invitee of a private room with FORBIDDEN: they may know of it', async () => {
      const { access } = setup({ visibility: 'private', invited: ['a'] });
      expect(await refusal(access.requireRoomMember('a', 'r1', 'Members only'))).toEqual({
        code: 'FORBIDDEN',
        reason: 'NOT_A_MEMBER',
        message: 'Members only',
      });
    });

    it('answers a private room to a stranger exactly as an unknown room', async () => {
      const { access } = setup({ visibility: 'private', members: { b: 'owner' } });
      const hidden = await refusal(access.requireRoomMember('a', 'r1', 'Members only'));
      const unknown = await refusal(access.requireRoomMember('a', 'nope', 'Members only'));
      expect(hidden).toEqual({ code: 'NOT_FOUND', reason: 'ROOM_NOT_FOUND', message: 'Room not found' });
      expect(unknown).toEqual(hidden);
      // The same for requireRoomKnown (room:join) and for the room's conversation.
      expect(await refusal(access.requireRoomKnown('a', 'r1'))).toEqual(hidden);
      expect(await refusal(access.requireRoomKnown('a', 'nope'))).toEqual(hidden);
      const hiddenConversation = await refusal(access.requireConversation('a', 'room:r1'));
      expect(hiddenConversation).toEqual({ code: 'NOT_FOUND', reason: 'CONVERSATION_NOT_FOUND', message: 'Conversation not found' });
      expect(await refusal(access.requireConversation('a', 'room:nope'))).toEqual(hiddenConversation);
    });

    it('tells requireRoomKnown what the caller is to a room they may know of', async () => {
      const privateOne = setup({ visibility: 'private', members: { b: 'owner' }, invited: ['a'] }).access;
      expect(await privateOne.requireRoomKnown('a', 'r1')).toEqual({ visibility: 'private', invited: true });
      expect(await privateOne.requireRoomKnown('b', 'r1')).toEqual({ visibility: 'private', role: 'owner', invited: false });
      const publicOne = setup({ visibility: 'public' }).access;
      expect(await publicOne.requireRoomKnown('c', 'r1')).toEqual({ visibility: 'public', invited: false });
    });
  });

  describe('conversations', () => {
    it('lets a member read a room conversation and refuses a public room’s visitor with FORBIDDEN', async () => {
      const { access } = setup({ visibility: 'public', members: { a: 'member' } });
      expect(await access.requireConversation('a', 'room:r1')).toEqual({ kind: 'room', id: 'room:r1', roomId: 'r1' });
      expect((await refusal(access.requireConversation('b', 'room:r1'))).code).toBe('FORBIDDEN');
    });

    it('answers a third party NOT_FOUND for a DM, without any lookup', async () => {
      const { access, repo } = setup();
      expect(await refusal(access.requireConversation('c', 'dm:a:b'))).toEqual({
        code: 'NOT_FOUND',
        reason: 'CONVERSATION_NOT_FOUND',
        message: 'Conversation not found',
      });
      expect(repo.userExists).not.toHaveBeenCalled();
      expect(repo.memberRole).not.toHaveBeenCalled();
      expect(repo.standing).not.toHaveBeenCalled();
    });

    it('answers a DM with a user that does not exist as an unknown conversation; a note to self needs no lookup', async () => {
      const { access, repo } = setup();
      expect(await refusal(access.requireConversation('a', 'dm:a:ghost'))).toEqual({
        code: 'NOT_FOUND',
        reason: 'CONVERSATION_NOT_FOUND',
        message: 'Conversation not found',
      });
      expect(await access.requireConversation('a', 'dm:a:b')).toEqual({ kind: 'dm', id: 'dm:a:b', userA: 'a', userB: 'b' });
      expect(repo.userExists.mock.calls).toEqual([['ghost'], ['b']]);
      expect(await access.requireConversation('a', 'dm:a:a')).toMatchObject({ kind: 'dm', userA: 'a', userB: 'a' });
      expect(repo.userExists).toHaveBeenCalledTimes(2);
    });

    it('refuses a malformed conversation id with BAD_REQUEST before any lookup', async () => {
      const { access, repo } = setup();
      await expect(access.requireConversation('a', 'dm:b:a')).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        details: [{ field: 'conversationId' }],
      });
      expect(repo.userExists).not.toHaveBeenCalled();
    });
  });

  describe('users', () => {
    it('requireUser remembers only that a user exists: a no is asked again', async () => {
      const { access, repo } = setup({ users: [] });
      await expect(access.requireUser('late')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'User not found' });
      repo.userExists.mockResolvedValue(true); // registered meanwhile (maybe on another instance)
      await access.requireUser('late');
      await access.requireUser('late');
      expect(repo.userExists).toHaveBeenCalledTimes(2);
    });

    it('requireUser takes an identity-provider subject for the user it names', async () => {
      const { access } = setup();
      expect(await access.requireUser('b')).toBe('b');
      expect(await access.requireUser('sub-of-b')).toBe('b');
      await expect(access.requireUser('sub-of-nobody')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('roomMemberIds', () => {
    it('pages a room for its members from a cursor of a previous page', async () => {
      const { access, repo } = setup({ visibility: 'private', members: { a: 'member' } });
      repo.memberIds.mockResolvedValue({ ids: ['a'], hasMore: false });
      const after = encodeMemberCursor({ joinedAt: '2026-01-01T00:00:00.000Z', userId: 'a' });
      expect(await access.roomMemberIds('a', 'r1', { after, limit: 5 })).toEqual({ ids: ['a'], hasMore: false });
      expect(repo.memberIds).toHaveBeenCalledWith('r1', { joinedAt: '2026-01-01T00:00:00.000Z', userId: 'a' }, 5);
      expect(await refusal(access.roomMemberIds('b', 'r1', { limit: 5 }))).toEqual({
        code: 'NOT_FOUND',
        reason: 'ROOM_NOT_FOUND',
        message: 'Room not found',
      });
      expect(repo.memberIds).toHaveBeenCalledTimes(1);
    });

    it.each([
      ['not base64url', 'not a cursor'],
      ['an object', 'e30'],
      ['numbers', Buffer.from('[1,2]').toString('base64url')],
      ['too long', 'x'.repeat(300)],
    ])('refuses a cursor that is %s with BAD_REQUEST on `after`, before any lookup', async (_what, after) => {
      const { access, repo } = setup({ visibility: 'public', members: { a: 'member' } });
      await expect(access.roomMemberIds('a', 'r1', { after, limit: 5 })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        details: [{ field: 'after' }],
      });
      expect(repo.memberRole).not.toHaveBeenCalled();
      expect(repo.standing).not.toHaveBeenCalled();
      expect(repo.memberIds).not.toHaveBeenCalled();
    });
  });

  describe('room roles', () => {
    it('lets the allowed roles administer; another member gets ROOM_ROLE_REQUIRED, a non-member the usual refusal', async () => {
      const { access } = setup({ members: { a: 'owner', b: 'admin', c: 'member' } });
      await expect(access.requireRoomRole('a', 'r1', ['owner'])).resolves.toBe('owner');
      await expect(access.requireRoomRole('b', 'r1', ['owner', 'admin'])).resolves.toBe('admin');
      expect(await refusal(access.requireRoomRole('b', 'r1', ['owner']))).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'ROOM_ROLE_REQUIRED',
      });
      expect(await refusal(access.requireRoomRole('c', 'r1', ['owner', 'admin']))).toMatchObject({ reason: 'ROOM_ROLE_REQUIRED' });
      expect(await refusal(access.requireRoomRole('d', 'r1', ['owner']))).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_A_MEMBER' });
      expect(await refusal(access.requireRoomRole('a', 'r2', ['owner']))).toMatchObject({ code: 'NOT_FOUND', reason: 'ROOM_NOT_FOUND' });
    });

    it.each([
      ['owner', 'admin', true],
      ['owner', 'member', true],
      ['owner', 'owner', false],
      ['admin', 'member', true],
      ['admin', 'admin', false],
      ['admin', 'owner', false],
      ['member', 'member', false],
    ] as const)('a %s may kick a %s: %s', (actor, target, may) => {
      const { access } = setup();
      if (may) expect(() => access.requireMayKick(actor, target)).not.toThrow();
      else expect(() => access.requireMayKick(actor, target)).toThrow(expect.objectContaining({ reason: 'ROOM_ROLE_REQUIRED' }));
    });
  });

  describe('blocking', () => {
    it('refuses a DM to a user who blocked the sender, not the other way round, and never to oneself', async () => {
      const { access, repo } = setup({ users: ['a', 'b'] });
      repo.isBlocked.mockImplementation(async (blocker, blocked) => blocker === 'b' && blocked === 'a');
      expect(await refusal(access.requireMayMessage('a', 'b'))).toEqual({
        code: 'FORBIDDEN',
        reason: 'USER_BLOCKED',
        message: 'This user cannot be messaged',
      });
      await expect(access.requireMayMessage('b', 'a')).resolves.toBe('a');
      await expect(access.requireMayMessage('a', 'a')).resolves.toBe('a');
      expect(await refusal(access.requireMayMessage('a', 'ghost'))).toMatchObject({ code: 'NOT_FOUND', reason: 'USER_NOT_FOUND' });
    });
  });
});
