import request from 'supertest';
import type { Ack } from '../src/contracts';
import { dmConversationId } from '../src/access/conversation-id';
import { startApp, type TestApp } from './support/app';
import { createRoom, send } from './support/chat';
import { ClientTracker, settle, type UserWithTabs } from './support/clients';

/**
 * One answer for "does not exist" and "not yours": an outsider cannot tell whether two users
 * ever talked, nor a private room from an unknown one, on the socket or over REST.
 */
describe('chat: no existence oracle for conversations', () => {
  let t: TestApp;
  const pool = new ClientTracker(() => t.url);
  let alice: UserWithTabs;
  let bob: UserWithTabs;
  let carol: UserWithTabs;
  let mallory: UserWithTabs;
  let talked: string;
  let neverTalked: string;
  beforeAll(async () => {
    t = await startApp();
    [alice, bob, carol, mallory] = await Promise.all([pool.user(), pool.user(), pool.user(), pool.user()]);
    await send(alice.tabs[0], { to: bob.user.id, content: 'between us' });
    talked = dmConversationId(alice.user.id, bob.user.id);
    neverTalked = dmConversationId(alice.user.id, carol.user.id);
  });
  afterAll(async () => {
    pool.closeAll();
    await t.close();
  });

  const error = <T>(ack: Ack<T>) =>
    ack.ok ? { ok: true } : { code: ack.error.code, reason: ack.error.reason, message: ack.error.message };
  const rest = async (token: string, conversationId: string) => {
    const res = await request(t.url)
      .get(`/conversations/${encodeURIComponent(conversationId)}/messages`)
      .set('authorization', `Bearer ${token}`);
    return { status: res.status, body: res.body as unknown };
  };

  it('answers a third party the same for a DM that exists and one never used (history, read, REST)', async () => {
    const m = mallory.tabs[0];
    const history = [
      error(await m.request('message:history', { conversationId: talked })),
      error(await m.request('message:history', { conversationId: neverTalked })),
      error(await m.request('message:history', { conversationId: dmConversationId(alice.user.id, 'no-such-user') })),
    ];
    expect(history[0]).toEqual({ code: 'NOT_FOUND', reason: 'CONVERSATION_NOT_FOUND', message: expect.any(String) });
    expect(history).toEqual([history[0], history[0], history[0]]);

    const read = [
      error(await m.request('message:read', { conversationId: talked, seq: 1 })),
      error(await m.request('message:read', { conversationId: neverTalked, seq: 1 })),
      error(await m.request('message:read', { conversationId: talked, seq: 0 })),
    ];
    expect(read).toEqual([history[0], history[0], history[0]]);

    const overRest = [await rest(mallory.token, talked), await rest(mallory.token, neverTalked)];
    expect(overRest[0]).toEqual({
      status: 404,
      body: { error: { code: 'NOT_FOUND', reason: 'CONVERSATION_NOT_FOUND', message: history[0].message } },
    });
    expect(overRest[1]).toEqual(overRest[0]);

    // The participants are served as before, and nobody was told anything.
    expect((await alice.tabs[0].ok('message:history', { conversationId: talked })).messages.map((x) => x.content)).toEqual(['between us']);
    expect(await carol.tabs[0].ok('message:history', { conversationId: neverTalked })).toEqual({ messages: [], hasMore: false });
    expect((await rest(bob.token, talked)).status).toBe(200);
    await settle();
    for (const u of [alice, bob]) expect(u.tabs[0].all('message:read')).toEqual([]);
  });

  it("answers a non-member the same for a private room's conversation and an unknown one; a public room stays FORBIDDEN", async () => {
    const secret = await createRoom(alice.tabs[0], 'secret', { visibility: 'private', members: [bob.user.id] });
    const open = await createRoom(alice.tabs[0], 'open', { visibility: 'public' });
    await send(alice.tabs[0], { roomId: secret.id, content: 'hush' });
    const m = mallory.tabs[0];
    const unknown = error(await m.request('message:history', { conversationId: 'room:no-such-room' }));
    expect(unknown).toEqual({ code: 'NOT_FOUND', reason: 'CONVERSATION_NOT_FOUND', message: expect.any(String) });
    expect(error(await m.request('message:history', { conversationId: `room:${secret.id}` }))).toEqual(unknown);
    expect(error(await m.request('message:read', { conversationId: `room:${secret.id}`, seq: 1 }))).toEqual(unknown);
    expect(error(await m.request('message:read', { conversationId: 'room:no-such-room', seq: 1 }))).toEqual(unknown);
    // The same message for DMs and rooms: the kind of id tells nothing either.
    expect(error(await m.request('message:history', { conversationId: talked }))).toEqual(unknown);
    expect(await rest(mallory.token, `room:${secret.id}`)).toEqual(await rest(mallory.token, 'room:no-such-room'));
    expect((await rest(mallory.token, `room:${secret.id}`)).status).toBe(404);

    // Sending to it: a private room is an unknown room.
    const sendUnknown = error(await m.request('message:send', { roomId: 'no-such-room', content: 'x' }));
    expect(sendUnknown).toEqual({ code: 'NOT_FOUND', reason: 'ROOM_NOT_FOUND', message: expect.any(String) });
    expect(error(await m.request('message:send', { roomId: secret.id, content: 'x' }))).toEqual(sendUnknown);

    // A public room is listed openly: not being a member may say so.
    expect(error(await m.request('message:history', { conversationId: `room:${open.id}` }))).toMatchObject({ code: 'FORBIDDEN' });
    expect(error(await m.request('message:send', { roomId: open.id, content: 'x' }))).toMatchObject({ code: 'FORBIDDEN' });
    expect((await rest(mallory.token, `room:${open.id}`)).status).toBe(403);

    // Members are unaffected, and the refused attempts stored and delivered nothing.
    expect((await bob.tabs[0].ok('message:history', { conversationId: `room:${secret.id}` })).messages.map((x) => x.content)).toEqual([
      'hush',
    ]);
    await settle();
    expect(bob.tabs[0].all('message:new').map((x) => x.content)).toEqual(['between us', 'hush']);
  });
});
