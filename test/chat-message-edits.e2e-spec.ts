import type { Kysely } from 'kysely';
import { dmConversationId } from '../src/access/conversation-id';
import type { Message } from '../src/contracts';
import type { Database } from '../src/storage/database.types';
import { DATABASE } from '../src/storage/database.module';
import { startApp, UNLIMITED_RATE, type TestApp } from './support/app';
import { ClientTracker, settle, type TestClient } from './support/clients';
import { createRoom, send } from './support/chat';

describe('chat: edit, delete, react, reply, mention', () => {
  let t: TestApp;
  let db: Kysely<Database>;
  const pool = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp({ env: UNLIMITED_RATE });
    db = t.app.get<Kysely<Database>>(DATABASE);
  });
  afterEach(() => pool.closeAll());
  afterAll(() => t.close());

  /** A room with an owner (2 tabs), a member and a member who will leave; plus an outsider. */
  async function roomSetup() {
    const owner = await pool.user(2);
    const member = await pool.user(1);
    const outsider = await pool.user(1);
    const room = await createRoom(owner.tabs[0], 'edits', { members: [member.user.id] });
    return { owner, member, outsider, room };
  }

  const updates = (c: TestClient, id: string) => c.all('message:updated').filter((m) => m.id === id);

  describe('message:edit', () => {
    it('lets the author edit; every socket of message:new’s audience gets message:updated, nobody else', async () => {
      const alice = await pool.user(2);
      const bob = await pool.user(2);
      const carol = await pool.user(1);
      const message = await send(alice.tabs[0], { to: bob.user.id, content: 'helo' });
      const edited = await alice.tabs[0].ok('message:edit', { messageId: message.id, content: '  hello  ' });
      expect(edited).toEqual({ ...message, content: 'hello', editedAt: expect.any(String) });
      for (const tab of [alice.tabs[1], ...bob.tabs])
        expect(await tab.waitFor('message:updated', (m) => m.id === message.id)).toEqual(edited);
      await settle();
      expect(updates(alice.tabs[0], message.id)).toEqual([]);
      expect(carol.tabs[0].all('message:updated')).toEqual([]);
      const history = await bob.tabs[0].ok('message:history', { conversationId: message.conversationId });
      expect(history.messages).toEqual([edited]);
    });

    it('refuses another user’s message, bad input, and a conversation the caller cannot read as not found', async () => {
      const alice = await pool.user();
      const bob = await pool.user();
      const carol = await pool.user();
      const message = await send(alice.tabs[0], { to: bob.user.id, content: 'mine' });
      expect(await bob.tabs[0].request('message:edit', { messageId: message.id, content: 'x' })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN', reason: 'NOT_MESSAGE_AUTHOR' },
      });
      expect(await carol.tabs[0].request('message:edit', { messageId: message.id, content: 'x' })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND', reason: 'MESSAGE_NOT_FOUND' },
      });
      expect(await alice.tabs[0].request('message:edit', { messageId: 'nope', content: 'x' })).toMatchObject({
        ok: false,
        error: { reason: 'MESSAGE_NOT_FOUND' },
      });
      for (const payload of [
        { messageId: message.id, content: '   ' },
        { messageId: message.id },
        { messageId: 1, content: 'x' },
        { messageId: message.id, content: 'x', from: bob.user.id },
      ]) {
        expect(await alice.tabs[0].request('message:edit', payload)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      }
      await settle();
      expect(bob.tabs[0].all('message:updated')).toEqual([]);
    });

    it('a member who left the room can no longer edit their message in it', async () => {
      const { owner, member, room } = await roomSetup();
      const message = await send(member.tabs[0], { roomId: room.id, content: 'before leaving' });
      await member.tabs[0].ok('room:leave', { roomId: room.id });
      expect(await member.tabs[0].request('message:edit', { messageId: message.id, content: 'after' })).toMatchObject({
        ok: false,
        error: { reason: 'MESSAGE_NOT_FOUND' },
      });
      await settle();
      expect(owner.tabs[0].all('message:updated')).toEqual([]);
    });
  });

  describe('message:delete', () => {
    it('leaves a tombstone; the room’s members get it, a left member and an outsider do not', async () => {
      const { owner, member, outsider, room } = await roomSetup();
      const leaver = await pool.user(1);
      await leaver.tabs[0].ok('room:join', { roomId: room.id });
      const message = await send(member.tabs[0], { roomId: room.id, content: 'oops' });
      await leaver.tabs[0].ok('room:leave', { roomId: room.id });
      expect(await member.tabs[0].ok('message:delete', { messageId: message.id })).toEqual({});
      const tombstone = await owner.tabs[0].waitFor('message:updated', (m) => m.id === message.id);
      expect(tombstone).toEqual({ ...message, content: '', deletedAt: expect.any(String) });
      await owner.tabs[1].waitFor('message:updated', (m) => m.id === message.id);
      await settle();
      expect(member.tabs[0].all('message:updated')).toEqual([]);
      expect(outsider.tabs[0].all('message:updated')).toEqual([]);
      expect(leaver.tabs[0].all('message:updated')).toEqual([]);
      // Again: nothing changes, nobody is told.
      expect(await member.tabs[0].ok('message:delete', { messageId: message.id })).toEqual({});
      await settle();
      expect(updates(owner.tabs[0], message.id)).toHaveLength(1);
      const history = await owner.tabs[0].ok('message:history', { conversationId: message.conversationId });
      expect(history.messages).toEqual([tombstone]);
      // A tombstone cannot be edited or reacted to.
      expect(await member.tabs[0].request('message:edit', { messageId: message.id, content: 'x' })).toMatchObject({
        ok: false,
        error: { reason: 'MESSAGE_NOT_FOUND' },
      });
      expect(await owner.tabs[0].request('message:react', { messageId: message.id, emoji: '👍', on: true })).toMatchObject({
        ok: false,
        error: { reason: 'MESSAGE_NOT_FOUND' },
      });
    });

    it('the owner and an admin may delete others’ messages in a room; a member may not; in a DM only the author', async () => {
      const { owner, member, room } = await roomSetup();
      const other = await pool.user(1);
      await other.tabs[0].ok('room:join', { roomId: room.id });
      const byOther = await send(other.tabs[0], { roomId: room.id, content: 'one' });
      const byOther2 = await send(other.tabs[0], { roomId: room.id, content: 'two' });
      const byOwner = await send(owner.tabs[0], { roomId: room.id, content: 'three' });
      expect(await member.tabs[0].request('message:delete', { messageId: byOther.id })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN', reason: 'NOT_MESSAGE_AUTHOR' },
      });
      expect(await owner.tabs[0].ok('message:delete', { messageId: byOther.id })).toEqual({});
      // The role column decides: an admin (as set by room:set-role) moderates too.
      await db
        .updateTable('room_members')
        .set({ role: 'admin' as never })
        .where('room_id', '=', room.id)
        .where('user_id', '=', member.user.id)
        .execute();
      expect(await member.tabs[0].ok('message:delete', { messageId: byOther2.id })).toEqual({});
      expect(await member.tabs[0].ok('message:delete', { messageId: byOwner.id })).toEqual({});
      await other.tabs[0].waitFor('message:updated', (m) => m.id === byOwner.id && m.deletedAt !== undefined);

      const alice = await pool.user();
      const bob = await pool.user();
      const dm = await send(alice.tabs[0], { to: bob.user.id, content: 'dm' });
      expect(await bob.tabs[0].request('message:delete', { messageId: dm.id })).toMatchObject({
        ok: false,
        error: { reason: 'NOT_MESSAGE_AUTHOR' },
      });
      expect(await bob.tabs[0].request('message:delete', {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(await bob.tabs[0].request('message:delete', { messageId: dm.id, extra: 1 })).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST' },
      });
    });
  });

  describe('message:react', () => {
    it('adds and removes reactions, counts them, tells the audience, and stays bounded', async () => {
      const { owner, member, outsider, room } = await roomSetup();
      const message = await send(owner.tabs[0], { roomId: room.id, content: 'react to me' });
      const first = await member.tabs[0].ok('message:react', { messageId: message.id, emoji: '👍', on: true });
      expect(first).toEqual({ messageId: message.id, reactions: [{ emoji: '👍', count: 1, userIds: [member.user.id] }] });
      const updated = await owner.tabs[0].waitFor('message:updated', (m) => m.id === message.id);
      expect(updated.reactions).toEqual(first.reactions);
      const second = await owner.tabs[0].ok('message:react', { messageId: message.id, emoji: '👍', on: true });
      expect(second.reactions).toEqual([{ emoji: '👍', count: 2, userIds: [member.user.id, owner.user.id] }]);
      const third = await owner.tabs[0].ok('message:react', { messageId: message.id, emoji: ':tada:', on: true });
      expect(third.reactions.map((r) => [r.emoji, r.count])).toEqual([
        ['👍', 2],
        [':tada:', 1],
      ]);
      // Again: no change, no event.
      member.tabs[0].clear();
      expect((await owner.tabs[0].ok('message:react', { messageId: message.id, emoji: ':tada:', on: true })).reactions).toEqual(
        third.reactions,
      );
      expect((await owner.tabs[0].ok('message:react', { messageId: message.id, emoji: '🎉', on: false })).reactions).toEqual(
        third.reactions,
      );
      await settle();
      expect(member.tabs[0].all('message:updated')).toEqual([]);
      const removed = await member.tabs[0].ok('message:react', { messageId: message.id, emoji: '👍', on: false });
      expect(removed.reactions).toEqual([
        { emoji: '👍', count: 1, userIds: [owner.user.id] },
        { emoji: ':tada:', count: 1, userIds: [owner.user.id] },
      ]);
      const history = await member.tabs[0].ok('message:history', { conversationId: message.conversationId });
      expect(history.messages[0].reactions).toEqual(removed.reactions);

      // Per user per message: 10.
      for (let i = 0; i < 8; i++) await member.tabs[0].ok('message:react', { messageId: message.id, emoji: `:e${i}:`, on: true });
      await member.tabs[0].ok('message:react', { messageId: message.id, emoji: ':tada:', on: true });
      await member.tabs[0].ok('message:react', { messageId: message.id, emoji: '👍', on: true });
      expect(await member.tabs[0].request('message:react', { messageId: message.id, emoji: ':e9:', on: true })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN', reason: 'LIMIT_REACHED', details: { limit: 10 } },
      });
      // Distinct emojis per message: 20 (10 in use now).
      for (let i = 0; i < 8; i++) await owner.tabs[0].ok('message:react', { messageId: message.id, emoji: `:o${i}:`, on: true });
      expect(await outsider.tabs[0].request('message:react', { messageId: message.id, emoji: '👍', on: true })).toMatchObject({
        ok: false,
        error: { reason: 'MESSAGE_NOT_FOUND' },
      });
      await outsider.tabs[0].ok('room:join', { roomId: room.id });
      for (const emoji of [':p0:', ':p1:']) await outsider.tabs[0].ok('message:react', { messageId: message.id, emoji, on: true });
      expect(await outsider.tabs[0].request('message:react', { messageId: message.id, emoji: ':new:', on: true })).toMatchObject({
        ok: false,
        error: { reason: 'LIMIT_REACHED', details: { limit: 20 } },
      });
      expect((await outsider.tabs[0].ok('message:react', { messageId: message.id, emoji: '👍', on: true })).reactions[0].count).toBe(3);
    });

    it('refuses what is not one emoji or a :short_name:, and a missing or wrong-typed `on`', async () => {
      const alice = await pool.user();
      const bob = await pool.user();
      const message = await send(alice.tabs[0], { to: bob.user.id, content: 'x' });
      for (const emoji of ['', 'ok', '👍👍', ':No Caps:', '<script>', "' OR 1=1 --", 'x'.repeat(100)]) {
        expect(await bob.tabs[0].request('message:react', { messageId: message.id, emoji, on: true })).toMatchObject({
          ok: false,
          error: { code: 'BAD_REQUEST', details: [{ field: 'emoji' }] },
        });
      }
      expect(await bob.tabs[0].request('message:react', { messageId: message.id, emoji: '👍' })).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST' },
      });
      expect(await bob.tabs[0].request('message:react', { messageId: message.id, emoji: '👍', on: 'true' })).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST' },
      });
      await settle();
      expect(alice.tabs[0].all('message:updated')).toEqual([]);
    });
  });

  describe('replies and mentions', () => {
    it('stores replyTo { id, seq, from, excerpt } for a message of the same conversation only', async () => {
      const alice = await pool.user();
      const bob = await pool.user();
      const carol = await pool.user();
      const original = await send(alice.tabs[0], { to: bob.user.id, content: 'x'.repeat(150) });
      const reply = await bob.tabs[0].ok('message:send', { to: alice.user.id, content: 'answer', replyTo: original.id });
      expect(reply.replyTo).toEqual({ id: original.id, seq: 1, from: original.from, excerpt: 'x'.repeat(100) });
      expect(await alice.tabs[0].waitFor('message:new', (m) => m.id === reply.id)).toEqual(reply);
      const elsewhere = await send(carol.tabs[0], { to: bob.user.id, content: 'other conversation' });
      for (const replyTo of [elsewhere.id, 'unknown']) {
        expect(await alice.tabs[0].request('message:send', { to: bob.user.id, content: 'x', replyTo })).toMatchObject({
          ok: false,
          error: { code: 'BAD_REQUEST', details: [{ field: 'replyTo' }] },
        });
      }
      expect(await alice.tabs[0].request('message:send', { to: bob.user.id, content: 'x', replyTo: 5 })).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST' },
      });
    });

    it('resolves @username of participants to mentions and counts unread mentions in conversation:list', async () => {
      const { owner, member, outsider, room } = await roomSetup();
      const text = `hi @${member.user.username} and @${outsider.user.username} and @${owner.user.username} and @nobody_here`;
      const message = await send(owner.tabs[0], { roomId: room.id, content: text });
      // The outsider is not in the room, the author is left out, unknown names stay text.
      expect(message.mentions).toEqual([member.user.id]);
      await send(owner.tabs[0], { roomId: room.id, content: `again @${member.user.username.toUpperCase()}` });
      await send(owner.tabs[0], { roomId: room.id, content: 'no mention' });
      const summary = async () =>
        (await member.tabs[0].ok('conversation:list', {})).conversations.find((c) => c.conversationId === message.conversationId)!;
      expect(await summary()).toMatchObject({ unreadCount: 3, mentionCount: 2 });
      await member.tabs[0].ok('message:read', { conversationId: message.conversationId, seq: 1 });
      expect(await summary()).toMatchObject({ unreadCount: 2, mentionCount: 1 });
      // An edit resolves them again; a tombstone mentions nobody.
      const second = (await member.tabs[0].ok('message:history', { conversationId: message.conversationId })).messages[1];
      const edited = await owner.tabs[0].ok('message:edit', { messageId: second.id, content: 'no one now' });
      expect(edited.mentions).toBeUndefined();
      expect(await summary()).toMatchObject({ mentionCount: 0 });
      const dmMention = await send(owner.tabs[0], { to: member.user.id, content: `@${member.user.username} look` });
      expect(dmMention.mentions).toEqual([member.user.id]);
      const dmSummary = (await member.tabs[0].ok('conversation:list', {})).conversations.find(
        (c) => c.conversationId === dmConversationId(owner.user.id, member.user.id),
      );
      expect(dmSummary).toMatchObject({ mentionCount: 1 });
      await owner.tabs[0].ok('message:delete', { messageId: dmMention.id });
      expect(
        (await member.tabs[0].ok('conversation:list', {})).conversations.find((c) => c.conversationId === dmSummary!.conversationId),
      ).toMatchObject({ mentionCount: 0 });
    });
  });

  it('lastMessage in conversation:list shows edits and tombstones', async () => {
    const alice = await pool.user();
    const bob = await pool.user();
    const message: Message = await send(alice.tabs[0], { to: bob.user.id, content: 'last' });
    await alice.tabs[0].ok('message:delete', { messageId: message.id });
    const entry = (await bob.tabs[0].ok('conversation:list', {})).conversations[0];
    expect(entry.lastMessage).toMatchObject({ id: message.id, content: '', deletedAt: expect.any(String) });
  });
});
