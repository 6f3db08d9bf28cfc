import type { AppConfig } from '../config/app-config';
import type { User } from '../contracts';
import { RealtimeService } from '../realtime/realtime.service';
import { automock } from '../testing/automock';
import { UsersService } from '../users/users.service';
import { AppError } from '../common/errors/app-error';
import { MessagesRepository, type ConversationListRow, type ConversationRow, type MessageRow } from './messages.repository';
import { RoomsRepository } from './rooms.repository';
import { AccessRepository } from '../access/access.repository';
import { AccessService } from '../access/access.service';
import { MessageEditsRepository } from './message-edits.repository';
import { MessageEditsService } from './message-edits.service';
import { MessagesService } from './messages.service';

const alice: User = { id: 'a', username: 'alice', displayName: 'Alice', createdAt: '2024-01-01T00:00:00.000Z' };
const bob: User = { id: 'b', username: 'bob', displayName: 'Bob', createdAt: '2024-01-01T00:00:00.000Z' };

function row(overrides: Partial<MessageRow> = {}): MessageRow {
  return {
    id: 'm1',
    conversation_id: 'dm:a:b',
    seq: 1,
    sender_id: 'a',
    sender_username: 'alice',
    recipient_id: 'b',
    room_id: null,
    content: 'hi',
    client_msg_id: null,
    created_at: '2024-01-01T00:00:00.000Z',
    edited_at: null,
    deleted_at: null,
    reply_to: null,
    mentions: null,
    reactions: null,
    ...overrides,
  };
}

function conversation(id: string, lastSeq: number): ConversationRow {
  const [kind, first, second] = id.split(':');
  return kind === 'room'
    ? {
        id,
        kind: 'room',
        room_id: first,
        user_a: null,
        user_b: null,
        last_seq: lastSeq,
        last_change: 0,
        last_message_at: null,
        created_at: 't',
      }
    : {
        id,
        kind: 'dm',
        room_id: null,
        user_a: first,
        user_b: second,
        last_seq: lastSeq,
        last_change: 0,
        last_message_at: null,
        created_at: 't',
      };
}

function setup(maxLength = 4000) {
  const messages = automock(MessagesRepository);
  messages.append.mockImplementation(async (conversation, message) => row({ ...message, conversation_id: conversation.id, seq: 1 }));
  messages.findByClientMsgId.mockResolvedValue(undefined);
  messages.mentionCounts.mockResolvedValue(new Map());
  const rooms = automock(RoomsRepository);
  const users = automock(UsersService);
  // The real access rules, over look-ups the tests stub: alice and bob exist, room standings per test.
  const access = automock(AccessRepository);
  access.userExists.mockImplementation(async (id) => id === 'a' || id === 'b');
  access.userIdOfSubject.mockResolvedValue(undefined);
  access.isBlocked.mockResolvedValue(false);
  const realtime = automock(RealtimeService);
  realtime.emit.mockReturnValue(undefined);
  const config = { limits: { messageMaxLength: maxLength } } as AppConfig;
  const accessService = new AccessService(access as unknown as AccessRepository);
  const editsRepository = automock(MessageEditsRepository);
  const edits = new MessageEditsService(
    editsRepository as unknown as MessageEditsRepository,
    accessService,
    realtime as unknown as RealtimeService,
    config,
  );
  const service = new MessagesService(
    messages as unknown as MessagesRepository,
    rooms as unknown as RoomsRepository,
    users as unknown as UsersService,
    accessService,
    realtime as unknown as RealtimeService,
    edits,
    editsRepository as unknown as MessageEditsRepository,
    config,
  );
  return { service, messages, rooms, access, users, realtime };
}

async function failure(promise: Promise<unknown> | (() => unknown)): Promise<AppError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a failure');
}

describe('MessagesService', () => {
  describe('send', () => {
    it('stores a trimmed DM under the sorted conversation id and emits to both users except the socket', async () => {
      const { service, messages, realtime } = setup();
      const message = await service.send(bob, 'sock-1', { to: 'a', content: '  hi  ' });
      expect(messages.append).toHaveBeenCalledWith(
        { id: 'dm:a:b', kind: 'dm', room_id: null, user_a: 'a', user_b: 'b' },
        expect.objectContaining({ sender_id: 'b', sender_username: 'bob', recipient_id: 'a', content: 'hi' }),
        [],
        { blockerId: 'a', blockedId: 'b' },
      );
      expect(message).toMatchObject({ conversationId: 'dm:a:b', from: { id: 'b', username: 'bob' }, to: 'a', content: 'hi' });
      expect(realtime.emit).toHaveBeenCalledWith(['user:b', 'user:a'], 'message:new', message, 'sock-1');
    });

    it('refuses a DM the repository did not store because the recipient blocked the sender, and emits nothing', async () => {
      const { service, messages, realtime } = setup();
      messages.append.mockResolvedValue(undefined);
      expect(await failure(service.send(bob, 'sock-1', { to: 'a', content: 'hi' }))).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'USER_BLOCKED',
      });
      expect(realtime.emit).not.toHaveBeenCalled();
    });

    it('emits a room message once, to the socket.io room, after checking membership', async () => {
      const { service, access, realtime } = setup();
      access.memberRole.mockResolvedValue('member');
      const message = await service.send(alice, 's', { roomId: 'r1', content: 'yo' });
      expect(access.memberRole).toHaveBeenCalledWith('r1', 'a');
      expect(realtime.emit).toHaveBeenCalledTimes(1);
      expect(realtime.emit).toHaveBeenCalledWith('room:r1', 'message:new', message, 's');
    });

    it('refuses a public room not joined (FORBIDDEN), a private one and an unknown one alike (NOT_FOUND), without storing', async () => {
      const { service, access, messages } = setup();
      access.memberRole.mockResolvedValue(undefined);
      access.standing.mockImplementation(async (id) =>
        id === 'pub' ? { visibility: 'public', invited: false } : id === 'priv' ? { visibility: 'private', invited: false } : undefined,
      );
      expect((await failure(service.send(alice, 's', { roomId: 'pub', content: 'x' }))).code).toBe('FORBIDDEN');
      const hidden = await failure(service.send(alice, 's', { roomId: 'priv', content: 'x' }));
      const unknown = await failure(service.send(alice, 's', { roomId: 'nope', content: 'x' }));
      expect(hidden.code).toBe('NOT_FOUND');
      expect([hidden.code, hidden.message]).toEqual([unknown.code, unknown.message]);
      expect(messages.append).not.toHaveBeenCalled();
    });

    it('costs a member one membership lookup, as before', async () => {
      const { service, access } = setup();
      access.memberRole.mockResolvedValue('member');
      await service.send(alice, 's', { roomId: 'priv', content: 'x' });
      expect(access.memberRole).toHaveBeenCalledTimes(1);
      expect(access.standing).not.toHaveBeenCalled();
    });

    it('answers NOT_FOUND for an unknown recipient; allows a note to self', async () => {
      const { service, access, messages } = setup();
      expect((await failure(service.send(alice, 's', { to: 'ghost', content: 'x' }))).code).toBe('NOT_FOUND');
      await service.send(alice, 's', { to: 'a', content: 'note' });
      expect(access.userExists).toHaveBeenCalledTimes(1);
      // No block check for a note to oneself.
      expect(messages.append).toHaveBeenCalledWith(expect.objectContaining({ id: 'dm:a:a' }), expect.anything(), [], undefined);
    });

    it.each([[{ content: 'x' }], [{ to: 'b', roomId: 'r', content: 'x' }]])('requires exactly one of to/roomId: %p', async (input) => {
      const { service } = setup();
      const error = await failure(() => service.send(alice, 's', input));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.details).toEqual([expect.objectContaining({ field: 'to' }), expect.objectContaining({ field: 'roomId' })]);
    });

    it('checks the length after trimming, in characters, against the configured limit', async () => {
      const { service } = setup(5);
      expect((await failure(() => service.send(alice, 's', { to: 'b', content: '   ' }))).details).toEqual([
        { field: 'content', errors: ['content must not be empty'] },
      ]);
      expect((await failure(() => service.send(alice, 's', { to: 'b', content: '123456' }))).code).toBe('BAD_REQUEST');
      expect(service.normalizeContent('  12345  ')).toBe('12345');
      expect(service.normalizeContent('😀😀😀😀😀')).toHaveLength(10);
    });

    it('returns the first message for a repeated clientMsgId and emits nothing', async () => {
      const { service, messages, realtime } = setup();
      const first = row({ client_msg_id: 'k' });
      messages.findByClientMsgId.mockResolvedValue(first);
      const message = await service.send(alice, 's', { to: 'b', content: 'again', clientMsgId: 'k' });
      expect(message).toMatchObject({ id: 'm1', content: 'hi', clientMsgId: 'k' });
      expect(messages.append).not.toHaveBeenCalled();
      expect(realtime.emit).not.toHaveBeenCalled();
    });

    it('answers with the winner when the insert loses a clientMsgId race, and rethrows other failures', async () => {
      const { service, messages, realtime } = setup();
      const winner = row({ id: 'winner', client_msg_id: 'k' });
      messages.findByClientMsgId.mockResolvedValueOnce(undefined).mockResolvedValueOnce(winner);
      messages.append.mockRejectedValueOnce(new Error('UNIQUE constraint failed'));
      expect((await service.send(alice, 's', { to: 'b', content: 'x', clientMsgId: 'k' })).id).toBe('winner');
      expect(realtime.emit).not.toHaveBeenCalled();

      messages.append.mockRejectedValueOnce(new Error('disk full'));
      await expect(service.send(alice, 's', { to: 'b', content: 'x' })).rejects.toThrow('disk full');
    });

    it("stores one socket's sends in call order even when the first is slower", async () => {
      const { service, messages, access } = setup();
      const order: string[] = [];
      access.userExists.mockImplementationOnce(async () => {
        await new Promise((r) => setTimeout(r, 20));
        return true;
      });
      messages.append.mockImplementation(async (conversation, message) => {
        order.push(message.content);
        return row({ ...message, conversation_id: conversation.id });
      });
      await Promise.all([
        service.send(alice, 's', { to: 'b', content: 'first' }),
        service.send(alice, 's', { to: 'b', content: 'second' }),
      ]);
      expect(order).toEqual(['first', 'second']);
    });
  });

  describe('markRead', () => {
    it('refuses a seq beyond the last message', async () => {
      const { service, messages } = setup();
      messages.findConversation.mockResolvedValue(conversation('dm:a:b', 3));
      const error = await failure(service.markRead(alice, 's', 'dm:a:b', 4));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', details: [{ field: 'seq' }] });
      expect(messages.advanceReadPointer).not.toHaveBeenCalled();
    });

    it('tells the participants when the pointer moved, and nobody when it did not', async () => {
      const { service, messages, realtime } = setup();
      messages.findConversation.mockResolvedValue(conversation('dm:a:b', 3));
      messages.advanceReadPointer.mockResolvedValueOnce(true).mockResolvedValueOnce(false);
      messages.readPointer.mockResolvedValue(3);
      expect(await service.markRead(alice, 's', 'dm:a:b', 3)).toEqual({ conversationId: 'dm:a:b', seq: 3 });
      expect(realtime.emit).toHaveBeenCalledWith(
        ['user:a', 'user:b'],
        'message:read',
        { conversationId: 'dm:a:b', userId: 'a', seq: 3 },
        's',
      );
      expect(await service.markRead(alice, 's', 'dm:a:b', 1)).toEqual({ conversationId: 'dm:a:b', seq: 3 });
      expect(realtime.emit).toHaveBeenCalledTimes(1);
    });
  });

  describe('history access', () => {
    it('is 400 for a malformed id; one NOT_FOUND for a third party, existing conversation or not, decided without a lookup', async () => {
      const { service, messages } = setup();
      expect((await failure(service.history(alice, 'dm:b:a', {}))).code).toBe('BAD_REQUEST');
      messages.findConversation.mockImplementation(async (id: string) => (id === 'dm:b:c' ? conversation(id, 1) : undefined));
      const existing = await failure(service.history(alice, 'dm:b:c', {}));
      const never = await failure(service.markRead(alice, 's', 'dm:b:d', 1));
      expect([existing.code, existing.message]).toEqual(['NOT_FOUND', 'Conversation not found']);
      expect([never.code, never.message]).toEqual(['NOT_FOUND', 'Conversation not found']);
      expect(messages.findConversation).not.toHaveBeenCalled();
      // A participant asking for a DM with a user that does not exist: the same answer.
      const ghost = await failure(service.history(alice, 'dm:a:ghost', {}));
      expect([ghost.code, ghost.message]).toEqual(['NOT_FOUND', 'Conversation not found']);
    });

    it('answers a private room conversation as an unknown one, and a public one not joined with FORBIDDEN', async () => {
      const { service, messages, access } = setup();
      access.memberRole.mockResolvedValue(undefined);
      messages.findConversation.mockImplementation(async (id: string) => (id === 'room:nope' ? undefined : conversation(id, 1)));
      access.standing.mockImplementation(async (id) =>
        id === 'pub' ? { visibility: 'public', invited: false } : id === 'priv' ? { visibility: 'private', invited: false } : undefined,
      );
      const hidden = await failure(service.history(alice, 'room:priv', {}));
      const unknown = await failure(service.markRead(alice, 's', 'room:nope', 1));
      expect([hidden.code, hidden.message]).toEqual(['NOT_FOUND', 'Conversation not found']);
      expect([unknown.code, unknown.message]).toEqual([hidden.code, hidden.message]);
      expect((await failure(service.history(alice, 'room:pub', {}))).code).toBe('FORBIDDEN');
    });

    it('reads a page with the default limit of 50', async () => {
      const { service, messages } = setup();
      messages.findConversation.mockResolvedValue(conversation('dm:a:b', 1));
      messages.history.mockResolvedValue({ rows: [row()], hasMore: false });
      const page = await service.history(alice, 'dm:a:b', { after: 0 });
      expect(messages.history).toHaveBeenCalledWith('dm:a:b', { before: undefined, after: 0, limit: 50 });
      expect(page).toEqual({ messages: [expect.objectContaining({ id: 'm1', seq: 1 })], hasMore: false });
    });
  });
  describe('listConversations', () => {
    const listRow = (id: string, activity: string, overrides: Partial<ConversationListRow> = {}): ConversationListRow => ({
      id,
      kind: 'dm',
      room_id: null,
      user_a: 'a',
      user_b: id.split(':')[2],
      last_seq: 1,
      last_change: 0,
      last_message_at: activity,
      created_at: activity,
      activity,
      last_read_seq: null,
      last_message: undefined,
      ...overrides,
    });

    it('asks for one page (default 100), looks up only that page, and hands out a cursor when more exist', async () => {
      const { service, messages, users, rooms } = setup();
      messages.listPage.mockResolvedValue({
        rows: [listRow('dm:a:b', '2024-01-02T00:00:00.000Z'), listRow('dm:a:c', '2024-01-01T00:00:00.000Z', { last_seq: 0 })],
        hasMore: true,
      });
      messages.unreadCounts.mockResolvedValue(new Map([['dm:a:b', 1]]));
      users.findByIds.mockResolvedValue([bob]);
      rooms.findByIds.mockResolvedValue([]);
      const page = await service.listConversations(alice, {});
      expect(messages.listPage).toHaveBeenCalledWith('a', { limit: 100, before: undefined });
      expect(messages.unreadCounts).toHaveBeenCalledWith('a', ['dm:a:b']);
      expect(users.findByIds).toHaveBeenCalledWith(['b', 'c']);
      expect(page.conversations.map((c) => [c.conversationId, c.unreadCount, c.peer?.id])).toEqual([
        ['dm:a:b', 1, 'b'],
        ['dm:a:c', 0, undefined],
      ]);
      expect(page.hasMore).toBe(true);
      // The cursor names the last entry and is accepted back as `before`.
      await service.listConversations(alice, { limit: 2, before: page.next });
      expect(messages.listPage).toHaveBeenLastCalledWith('a', {
        limit: 2,
        before: { activity: '2024-01-01T00:00:00.000Z', conversationId: 'dm:a:c' },
      });
    });

    it('has no next on the last page', async () => {
      const { service, messages, users, rooms } = setup();
      messages.listPage.mockResolvedValue({ rows: [listRow('dm:a:b', '2024-01-02T00:00:00.000Z')], hasMore: false });
      messages.unreadCounts.mockResolvedValue(new Map());
      users.findByIds.mockResolvedValue([bob]);
      rooms.findByIds.mockResolvedValue([]);
      expect(await service.listConversations(alice)).toEqual({
        conversations: [expect.objectContaining({ conversationId: 'dm:a:b' })],
        hasMore: false,
      });
    });

    it.each([
      'garbage!',
      Buffer.from('not json').toString('base64url'),
      Buffer.from(JSON.stringify(['yesterday', 'dm:a:b'])).toString('base64url'),
      Buffer.from(JSON.stringify(['2024-01-01T00:00:00.000Z', 'dm:b:a'])).toString('base64url'),
      Buffer.from(JSON.stringify(['2024-01-01T00:00:00.000Z'])).toString('base64url'),
      Buffer.from(JSON.stringify({ activity: '2024-01-01T00:00:00.000Z', id: 'dm:a:b' })).toString('base64url'),
    ])('refuses a cursor it did not hand out (%s) with BAD_REQUEST before any query', async (before) => {
      const { service, messages } = setup();
      const error = await failure(service.listConversations(alice, { before }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', details: [{ field: 'before' }] });
      expect(messages.listPage).not.toHaveBeenCalled();
    });
  });
});
