// An app using the packed @realtime-backend/client (ESM import) against a live server:
// register two users, connect, presence, a direct message (edited, reacted to, found by search),
// a watched modal. Exits non-zero on any failure.
import { createClient, ERROR_REASONS, RealtimeError, type AuthResult, type Message, type RealtimeClient } from '@realtime-backend/client';

const url = process.argv[2];
if (!url) throw new Error('usage: node consumer.mjs <server url>');

async function register(username: string): Promise<AuthResult> {
  const res = await fetch(`${url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'correct horse battery' }),
  });
  if (!res.ok) throw new Error(`register ${username}: ${res.status} ${await res.text()}`);
  return (await res.json()) as AuthResult;
}

type Awaitable = 'message:new' | 'message:updated' | 'presence:update' | 'modal:opened';
function next<T>(client: RealtimeClient, event: Awaitable, match: (p: T) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within 5 s`)), 5000);
    const off = client.on(event, (payload) => {
      if (!match(payload as T)) return;
      clearTimeout(timer);
      off();
      resolve(payload as T);
    });
  });
}

const suffix = Math.random().toString(36).slice(2, 8);
const [alice, bob] = await Promise.all([register(`alice_${suffix}`), register(`bob_${suffix}`)]);
const a = createClient(url, alice.accessToken);
const b = createClient(url, bob.accessToken);
try {
  const session = await a.ready();
  await b.ready();
  if (session.user.id !== alice.user.id || !session.expiresAt) throw new Error(`unexpected session ${JSON.stringify(session)}`);

  // Presence: Alice watches Bob, Bob goes busy.
  const { users } = await a.request('presence:subscribe', { userIds: [bob.user.id] });
  if (users[0]?.status !== 'online') throw new Error(`bob should be online: ${JSON.stringify(users)}`);
  const busy = next<{ userId: string; status: string }>(a, 'presence:update', (p) => p.userId === bob.user.id && p.status === 'busy');
  await b.request('presence:set', { status: 'busy' });
  await busy;

  // A direct message.
  const received = next<Message>(b, 'message:new', (m) => m.from.id === alice.user.id);
  const sent = await a.request('message:send', { to: bob.user.id, content: 'hello from a consumer' });
  if ((await received).id !== sent.id) throw new Error('bob got another message');

  // Alice edits it; Bob gets message:updated with the new text.
  const updated = next<Message>(b, 'message:updated', (m) => m.id === sent.id);
  const edited = await a.request('message:edit', { messageId: sent.id, content: 'hello from a consumer, edited' });
  if ((await updated).content !== edited.content || !edited.editedAt) throw new Error(`unexpected edit ${JSON.stringify(edited)}`);

  // Bob reacts to it.
  const { reactions } = await b.request('message:react', { messageId: sent.id, emoji: '👍', on: true });
  if (reactions[0]?.count !== 1 || reactions[0].userIds[0] !== bob.user.id)
    throw new Error(`unexpected reactions ${JSON.stringify(reactions)}`);

  // Bob finds it by a word of its new text.
  const { results } = await b.request('message:search', { query: 'edited', conversationId: sent.conversationId });
  if (results[0]?.id !== sent.id) throw new Error(`search should find the edited message: ${JSON.stringify(results)}`);

  // A modal: Alice watches it (modal events reach only its watchers), Bob opens it, Alice sees him.
  await a.request('modal:watch', { modalIds: ['order-1'] });
  await a.request('modal:open', { modalId: 'order-1' });
  const opened = next<{ modalId: string }>(a, 'modal:opened', (e) => e.modalId === 'order-1');
  const state = await b.request('modal:open', { modalId: 'order-1' });
  await opened;
  if (state.viewers.length !== 2) throw new Error(`two viewers expected: ${JSON.stringify(state.viewers)}`);

  // A refusal is a typed RealtimeError with the catalogue's code.
  const error = await a.request('room:join', { roomId: 'no-such-room' }).catch((e: unknown) => e);
  if (!(error instanceof RealtimeError) || error.reason !== 'ROOM_NOT_FOUND' || ERROR_REASONS[error.reason].code !== error.code)
    throw new Error(`unexpected refusal ${String(error)}`);
  console.log('client package (ESM): register, connect, presence, DM, edit, react, search, watched modal: ok');
} finally {
  a.disconnect();
  b.disconnect();
}
