// Demo of the realtime API, built on the typed client (@realtime-backend/client) with esbuild
// into public/app.js: what this page does, an app does with the same package.
import {
  createClient,
  type AuthResult,
  type ConversationSummary,
  type Message,
  type Presence,
  type RealtimeClient,
  type Room,
  type TypingEvent,
  type User,
  type UserWithPresence,
  type Viewer,
} from '@realtime-backend/client';

interface Target {
  conversationId: string;
  title: string;
  to?: string;
  roomId?: string;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const state = {
  me: null as User | null,
  token: '',
  /** Single use: every `POST /auth/refresh` answers a new one. Kept in memory and this tab's sessionStorage, never in a URL. */
  refreshToken: '',
  client: null as RealtimeClient | null,
  presence: new Map<string, Presence>(), // userId -> presence
  conversations: new Map<string, ConversationSummary>(),
  active: null as Target | null,
  messages: [] as Message[],
  typing: new Set<string>(), // userIds typing in the open conversation
  modal: null as string | null, // modalId open in this tab
  found: null as UserWithPresence[] | null, // people search results (offline people too)
  viewers: [] as Viewer[], // of the open modal
  /** What the composer does with its text: a new message, a reply, or an edit of one of yours. */
  compose: { kind: 'new' } as { kind: 'new' } | { kind: 'reply' | 'edit'; message: Message },
};
/** The reactions the demo offers (the server takes any emoji or `:short_name:`). */
const EMOJIS = ['👍', '❤️', '😂', '🎉'];
const me = () => state.me!;
const client = () => state.client!;

// ---------- helpers ----------
type Child = Node | string | null | undefined | false;
const el = (tag: string, attrs: Record<string, string | number | undefined | (() => void)> = {}, ...children: Child[]) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = String(v);
    else if (typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (v !== undefined) node.setAttribute(k, String(v));
  }
  for (const c of children) if (c) node.append(c);
  return node;
};
const avatar = (name: string, status?: string) =>
  el('span', { class: 'avatar' }, (name || '?')[0], status ? el('span', { class: `dot ${status}` }) : null);
const dmId = (a: string, b: string) => `dm:${[a, b].sort().join(':')}`;
const nameOf = (userId: string) => state.presence.get(userId)?.username ?? (userId === me().id ? me().username : 'someone');
const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
/** What others see of `p`: an invisible user is offline to them. */
const shownStatus = (p: Presence | undefined) => (!p ? 'offline' : p.invisible ? 'offline' : p.status);

// ---------- sign up / log in ----------
let authMode = 'login';
for (const id of ['login', 'signup'])
  $(id).addEventListener('click', (e) => (authMode = (e.currentTarget as HTMLElement).dataset.mode ?? 'login'));
$('auth-form').addEventListener('submit', (event) => {
  event.preventDefault();
  $('auth-error').textContent = '';
  const body = { username: $<HTMLInputElement>('username').value.trim(), password: $<HTMLInputElement>('password').value };
  void (async () => {
    try {
      const res = await fetch(`/auth/${authMode}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const data = (await res.json()) as AuthResult & { error?: { message: string } };
      if (!res.ok) throw new Error(data.error?.message ?? res.statusText);
      state.me = data.user;
      keepTokens(data);
      start();
    } catch (err) {
      $('auth-error').textContent = (err as Error).message;
    }
  })();
});

function keepTokens({ accessToken, refreshToken }: Pick<AuthResult, 'accessToken' | 'refreshToken'>) {
  state.token = accessToken;
  state.refreshToken = refreshToken;
  sessionStorage.setItem('auth', JSON.stringify({ token: accessToken, refreshToken, user: state.me }));
}

/**
 * A new access token from `POST /auth/refresh` (which also answers a new refresh token: the old
 * one is spent). One refresh at a time: presenting a used refresh token again ends the session.
 */
let refreshing: Promise<string> | null = null;
function refreshAccessToken(): Promise<string> {
  refreshing ??= (async () => {
    try {
      const res = await fetch('/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: state.refreshToken }),
      });
      const data = (await res.json()) as AuthResult & { error?: { message: string } };
      if (!res.ok) throw new Error(data.error?.message ?? res.statusText);
      keepTokens(data);
      return data.accessToken;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Back to the login form (a reload, so nothing of the last user stays in the page). */
function signOut(notice: string) {
  sessionStorage.removeItem('auth');
  sessionStorage.removeItem('sessionId');
  sessionStorage.setItem('notice', notice);
  location.reload();
}

// Log out: this login ends on the server (its tokens are refused from now on, everywhere).
$('logout').addEventListener('click', () => {
  state.client?.disconnect();
  void fetch('/auth/logout', {
    method: 'POST',
    headers: { authorization: `Bearer ${state.token}`, 'content-type': 'application/json' },
    body: '{}',
  })
    .catch(() => undefined)
    .then(() => signOut('Logged out.'));
});

// A reload keeps you logged in (this tab only) and resumes the same session.
const saved = JSON.parse(sessionStorage.getItem('auth') || 'null') as { token: string; refreshToken?: string; user: User } | null;
$('auth-error').textContent = sessionStorage.getItem('notice') ?? '';
sessionStorage.removeItem('notice');
if (saved) {
  state.token = saved.token;
  state.refreshToken = saved.refreshToken ?? '';
  state.me = saved.user;
  start();
}

// ---------- connection ----------
function start() {
  $('auth').hidden = true;
  $('app').hidden = false;
  $('me-name').textContent = me().username;
  $('me-avatar').replaceWith(Object.assign(avatar(me().username, 'online'), { id: 'me-avatar' }));

  // The client sends the current token and session id on every reconnect, so a reload or a
  // network drop resumes the same session.
  // With refreshToken the client moves to a new access token before this one expires, and after
  // an expiry; a session that was ended (logout in another tab, revoked) is not refreshed.
  const c = createClient(location.origin, state.token, {
    sessionId: sessionStorage.getItem('sessionId') ?? undefined,
    onSession: ({ sessionId }) => sessionStorage.setItem('sessionId', sessionId),
    refreshToken: refreshAccessToken,
  });
  state.client = c;

  c.onStatus(({ state: s, error }) => {
    $('conn').classList.toggle('up', s === 'connected');
    // The session ended (logged out elsewhere, revoked) or the token could not be renewed.
    if (s === 'refused' && error) signOut(`${error.code}: ${error.message}`);
  });
  c.on('session', () => {
    void Promise.all([loadPresence(), loadConversations(), loadRooms()]);
    // A new session (not resumed) watches nothing: watch the open dialog again.
    if (state.modal)
      void c
        .request('modal:watch', { modalIds: [state.modal] })
        .then(refreshViewers)
        .catch(() => undefined);
  });
  c.on('presence:update', (p) => {
    state.presence.set(p.userId, p);
    if (p.userId === me().id) renderMyStatus(p);
    renderPeople();
    renderConversations();
    renderHeader();
    if (state.modal) renderViewers(state.viewers); // their dots follow their status
  });
  c.on('message:new', onMessage);
  c.on('message:updated', onMessageUpdated);
  c.on('typing', onTyping);
  c.on('room:invited', () => void Promise.all([loadConversations(), loadRooms()]));
  c.on('room:member-joined', () => void loadRooms());
  c.on('room:member-left', () => void loadRooms());
  c.on('modal:opened', ({ modalId }) => modalId === state.modal && void refreshViewers());
  c.on('modal:closed', ({ modalId }) => modalId === state.modal && void refreshViewers());
  c.on('exception', ({ event, error }) => console.warn(event, error));
}

// ---------- presence ----------
async function loadPresence() {
  const [{ users }, mine] = await Promise.all([
    client().request('presence:subscribe', { all: true }),
    // My own presence as the server has it (a reload must not show "Online" while it says busy).
    client().request('presence:list', { userIds: [me().id] }),
  ]);
  for (const p of [...users, ...mine.users]) state.presence.set(p.userId, p);
  const own = state.presence.get(me().id);
  if (own) renderMyStatus(own);
  renderPeople();
}

function renderMyStatus(p: Presence) {
  $<HTMLSelectElement>('me-status').value = p.invisible ? 'invisible' : p.status;
  $('me-avatar').querySelector('.dot')!.className = `dot ${shownStatus(p)}`;
}

function personItem(userId: string, username: string, status: string, sub: string) {
  return el(
    'li',
    { 'data-user': username, onclick: () => void openDm(userId, username) },
    avatar(username, status),
    el('span', { class: 'name' }, username, el('span', { class: 'sub' }, sub)),
  );
}

function renderPeople() {
  if (state.found) {
    // A search: everybody whose name starts with it, offline people too.
    const found = state.found.filter((u) => u.id !== me().id);
    $('people').replaceChildren(
      ...(found.length
        ? found.map((u) => {
            const p = state.presence.get(u.id) ?? u.presence;
            return personItem(u.id, u.username, shownStatus(p), p.statusText || shownStatus(p));
          })
        : [el('li', { class: 'empty' }, 'Nobody by that name')]),
    );
    return;
  }
  const people = [...state.presence.values()]
    .filter((p) => p.userId !== me().id && p.status !== 'offline')
    .sort((a, b) => a.username.localeCompare(b.username));
  $('online-count').textContent = people.length ? `· ${people.length} online` : '';
  $('people').replaceChildren(
    ...(people.length
      ? people.map((p) => personItem(p.userId, p.username, p.status, p.statusText || p.status))
      : [el('li', { class: 'empty' }, 'Nobody else is online: search by name above')]),
  );
}

let searchTimer: ReturnType<typeof setTimeout> | undefined;
$<HTMLInputElement>('people-search').addEventListener('input', (e) => {
  const search = (e.target as HTMLInputElement).value.trim();
  clearTimeout(searchTimer);
  if (!search) {
    state.found = null;
    return renderPeople();
  }
  searchTimer = setTimeout(() => void findPeople(search), 200);
});

async function findPeople(search: string) {
  const get = () => fetch(`/users?search=${encodeURIComponent(search)}&limit=20`, { headers: { authorization: `Bearer ${state.token}` } });
  let res = await get();
  if (res.status === 401) {
    await refreshAccessToken().catch(() => undefined); // expired meanwhile: once more with a new token
    res = await get();
  }
  if (!res.ok) return;
  if ($<HTMLInputElement>('people-search').value.trim() !== search) return; // typed on meanwhile
  state.found = ((await res.json()) as { users: UserWithPresence[] }).users;
  renderPeople();
}

$<HTMLSelectElement>('me-status').addEventListener('change', (e) => {
  const status = (e.target as HTMLSelectElement).value as 'online' | 'away' | 'busy' | 'invisible';
  void client()
    .request('presence:set', { status })
    .then((p) => {
      state.presence.set(p.userId, p);
      renderMyStatus(p);
    });
});

// ---------- conversations ----------
async function loadConversations() {
  const { conversations } = await client().request('conversation:list', {});
  state.conversations = new Map(conversations.map((c) => [c.conversationId, c]));
  renderConversations();
}

function conversationTitle(c: ConversationSummary) {
  return c.type === 'room' ? `# ${c.room!.name}` : c.peer!.username;
}

function renderConversations() {
  const list = [...state.conversations.values()];
  $('conversations').replaceChildren(
    ...(list.length
      ? list.map((c) =>
          el(
            'li',
            {
              class: state.active?.conversationId === c.conversationId ? 'active' : '',
              'data-conversation': conversationTitle(c),
              onclick: () => void (c.type === 'room' ? openRoom(c.room!) : openDm(c.peer!.id, c.peer!.username)),
            },
            c.type === 'room'
              ? el('span', { class: 'avatar' }, '#')
              : avatar(c.peer!.username, shownStatus(state.presence.get(c.peer!.id))),
            el(
              'span',
              { class: 'name' },
              conversationTitle(c),
              el('span', { class: 'sub' }, c.lastMessage ? `${c.lastMessage.from.username}: ${preview(c.lastMessage)}` : 'no messages yet'),
            ),
            c.unreadCount ? el('span', { class: 'badge', 'data-unread': c.unreadCount }, String(c.unreadCount)) : null,
          ),
        )
      : [el('li', { class: 'empty' }, 'No conversations yet')]),
  );
}

async function loadRooms() {
  const { rooms } = await client().request('room:list', { scope: 'public' });
  $('public-rooms').replaceChildren(
    ...(rooms.length
      ? rooms.map((room) =>
          el(
            'li',
            { 'data-room': room.name, onclick: () => void openRoom(room) },
            el('span', { class: 'avatar' }, '#'),
            el(
              'span',
              { class: 'name' },
              room.name,
              el('span', { class: 'sub' }, `${room.memberCount} member${room.memberCount === 1 ? '' : 's'}`),
            ),
            el('span', { class: 'tag' }, 'public'),
          ),
        )
      : [el('li', { class: 'empty' }, 'No public rooms yet')]),
  );
}

// Nothing announces new public rooms, so the list is fetched again now and then.
$('refresh-rooms').addEventListener('click', () => void loadRooms());
setInterval(() => state.client?.socket.connected && document.visibilityState === 'visible' && void loadRooms(), 15000);

$('room-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void (async () => {
    const room = await client().request('room:create', { name: $<HTMLInputElement>('room-name').value.trim() });
    $<HTMLInputElement>('room-name').value = '';
    await Promise.all([loadRooms(), loadConversations()]);
    await openRoom(room);
  })();
});

// ---------- the open conversation ----------
async function openDm(userId: string, username?: string) {
  await openConversation({ conversationId: dmId(me().id, userId), title: username ?? nameOf(userId), to: userId });
}

async function openRoom(room: Pick<Room, 'id' | 'name'>) {
  await client().request('room:join', { roomId: room.id }); // joining again changes nothing
  await openConversation({ conversationId: `room:${room.id}`, title: `# ${room.name}`, roomId: room.id });
  void loadRooms();
}

async function openConversation(target: Target) {
  if (state.modal) await closeDetails();
  state.active = target;
  state.typing.clear();
  setCompose({ kind: 'new' });
  const { messages } = await client().request('message:history', { conversationId: target.conversationId, limit: 50 });
  state.messages = messages;
  $<HTMLInputElement>('message-input').disabled =
    $<HTMLButtonElement>('send').disabled =
    $<HTMLButtonElement>('open-details').disabled =
      false;
  document.body.classList.add('chatting'); // narrow screens: the chat pane comes first
  renderHeader();
  renderMessages();
  renderTyping();
  await markRead();
  await loadConversations();
  $('message-input').focus();
}

$('back').addEventListener('click', () => document.body.classList.remove('chatting'));

function renderHeader() {
  const a = state.active;
  if (!a) return;
  $('chat-title').textContent = a.title;
  $('chat-sub').textContent = a.to ? shownStatus(state.presence.get(a.to)) : 'room';
}

const preview = (m: Message) => (m.deletedAt ? 'message deleted' : m.content);

/** `scroll`: to the newest (a new message), not for a change in place (an edit, a reaction). */
function renderMessages(scroll = true) {
  $('messages').replaceChildren(...state.messages.map(messageItem));
  if (scroll) $('messages').scrollTop = $('messages').scrollHeight;
}

function messageItem(m: Message) {
  const mine = m.from.id === me().id;
  const action = (label: string, title: string, run: () => void) =>
    el('button', { type: 'button', class: 'link', 'data-action': title, title, onclick: run }, label);
  return el(
    'li',
    { class: `msg${mine ? ' mine' : ''}${m.deletedAt ? ' deleted' : ''}`, 'data-seq': m.seq, 'data-id': m.id },
    el('span', { class: 'meta' }, `${m.from.username} · ${time(m.createdAt)}${m.editedAt && !m.deletedAt ? ' · edited' : ''}`),
    m.replyTo ? el('span', { class: 'quote' }, `${m.replyTo.from.username}: ${m.replyTo.excerpt}`) : null,
    el('span', { class: 'content' }, m.deletedAt ? 'message deleted' : m.content),
    m.reactions?.length
      ? el(
          'span',
          { class: 'reactions' },
          ...m.reactions.map((r) => {
            const own = r.userIds.includes(me().id);
            return el(
              'button',
              { type: 'button', class: `reaction${own ? ' own' : ''}`, 'data-emoji': r.emoji, onclick: () => void react(m, r.emoji, !own) },
              `${r.emoji} ${r.count}`,
            );
          }),
        )
      : null,
    m.deletedAt
      ? null
      : el(
          'span',
          { class: 'actions' },
          ...EMOJIS.map((emoji) => action(emoji, `react ${emoji}`, () => void react(m, emoji, true))),
          action('Reply', 'reply', () => setCompose({ kind: 'reply', message: m })),
          mine ? action('Edit', 'edit', () => setCompose({ kind: 'edit', message: m })) : null,
          mine ? action('Delete', 'delete', () => void remove(m)) : null,
        ),
  );
}

/** Puts `next` in place of the message with its id (an edit, a tombstone, reactions). */
function replaceMessage(next: Message) {
  const i = state.messages.findIndex((m) => m.id === next.id);
  if (i < 0) return;
  state.messages[i] = next;
  renderMessages(false);
}

function onMessageUpdated(message: Message) {
  if (state.active?.conversationId === message.conversationId) replaceMessage(message);
  const summary = state.conversations.get(message.conversationId);
  if (summary?.lastMessage?.id === message.id) {
    summary.lastMessage = message;
    renderConversations();
  }
}

async function react(m: Message, emoji: string, on: boolean) {
  const { reactions } = await client().request('message:react', { messageId: m.id, emoji, on });
  const current = state.messages.find((x) => x.id === m.id);
  if (current) replaceMessage({ ...current, reactions });
}

async function remove(m: Message) {
  await client().request('message:delete', { messageId: m.id });
  const current = state.messages.find((x) => x.id === m.id);
  // The tombstone as the server makes it arrives as message:updated to the others; here at once.
  if (current) replaceMessage({ ...current, content: '', deletedAt: new Date().toISOString(), reactions: [], replyTo: undefined });
  void loadConversations();
}

/** The composer: a new message, a reply (its quote shown above), or an edit of your own. */
function setCompose(next: typeof state.compose) {
  state.compose = next;
  const input = $<HTMLInputElement>('message-input');
  $('compose-context').hidden = next.kind === 'new';
  if (next.kind === 'new') return;
  $('compose-what').textContent =
    next.kind === 'edit' ? 'Editing your message' : `Replying to ${next.message.from.username}: ${next.message.content.slice(0, 100)}`;
  if (next.kind === 'edit') input.value = next.message.content;
  input.focus();
}
$('compose-cancel').addEventListener('click', () => {
  if (state.compose.kind === 'edit') $<HTMLInputElement>('message-input').value = '';
  setCompose({ kind: 'new' });
});

async function markRead() {
  const last = state.messages[state.messages.length - 1];
  if (last && state.active) await client().request('message:read', { conversationId: state.active.conversationId, seq: last.seq });
}

function onMessage(message: Message) {
  if (state.active?.conversationId === message.conversationId) {
    if (state.messages.some((m) => m.id === message.id)) return;
    state.messages.push(message);
    renderMessages();
    stopTyping(message.from.id);
    if (document.visibilityState !== 'hidden') void markRead().then(loadConversations);
  } else {
    void loadConversations(); // unread counts come from the server
  }
}

/** The open conversation as a `to` or a `roomId` (exactly one: the client's types insist). */
const targetOf = (a: Target) => (a.to ? { to: a.to } : { roomId: a.roomId! });

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('message-input');
  const content = input.value.trim();
  const active = state.active;
  if (!content || !active) return;
  input.value = '';
  const compose = state.compose;
  setCompose({ kind: 'new' });
  if (compose.kind === 'edit') {
    void client()
      .request('message:edit', { messageId: compose.message.id, content })
      .then((message) => {
        replaceMessage(message);
        onMessageUpdated(message);
      });
    return;
  }
  sendTyping(false);
  const replyTo = compose.kind === 'reply' ? { replyTo: compose.message.id } : {};
  void client()
    .request('message:send', { ...targetOf(active), content, clientMsgId: crypto.randomUUID(), ...replyTo })
    .then((message) => {
      if (state.active?.conversationId === message.conversationId && !state.messages.some((m) => m.id === message.id)) {
        state.messages.push(message);
        renderMessages();
      }
      void loadConversations();
    });
});

// ---------- message search ----------
$('message-search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const query = $<HTMLInputElement>('message-search').value.trim();
  if (!query) return renderSearch(null);
  void client()
    .request('message:search', { query, limit: 20 })
    .then(({ results }) => renderSearch(results))
    .catch((err: Error) => renderSearch([], err.message));
});
$<HTMLInputElement>('message-search').addEventListener('input', (e) => !(e.target as HTMLInputElement).value && renderSearch(null));

/** Where a found message was written, as the conversation list names it. */
function conversationOf(m: Message): { title: string; open: () => Promise<void> } {
  const summary = state.conversations.get(m.conversationId);
  if (m.roomId) {
    const room = summary?.room ?? { id: m.roomId, name: 'room' };
    return { title: `# ${room.name}`, open: () => openRoom(room) };
  }
  const peerId = m.from.id === me().id ? m.to! : m.from.id;
  const peerName = summary?.peer?.username ?? (m.from.id === peerId ? m.from.username : nameOf(peerId));
  return { title: peerName, open: () => openDm(peerId, peerName) };
}

function renderSearch(results: Message[] | null, error?: string) {
  const list = $('search-results');
  list.hidden = results === null;
  if (!results) return list.replaceChildren();
  list.replaceChildren(
    ...(results.length
      ? results.map((m) => {
          const where = conversationOf(m);
          return el(
            'li',
            { 'data-result': m.id, onclick: () => void where.open() },
            el('span', { class: 'name' }, `${where.title} · ${m.from.username}`, el('span', { class: 'sub' }, m.content)),
          );
        })
      : [el('li', { class: 'empty' }, error ?? 'No message matches')]),
  );
}

// ---------- typing ----------
let typingSentAt = 0;
function sendTyping(isTyping: boolean) {
  if (!state.active) return;
  if (isTyping && Date.now() - typingSentAt < 3000) return; // refresh every 3 s while typing
  typingSentAt = isTyping ? Date.now() : 0;
  client()
    .request('typing', { ...targetOf(state.active), isTyping })
    .catch(() => undefined);
}
$('message-input').addEventListener('input', (e) => sendTyping((e.target as HTMLInputElement).value.length > 0));

function onTyping({ conversationId, userId, isTyping }: TypingEvent) {
  if (state.active?.conversationId !== conversationId) return;
  if (isTyping) state.typing.add(userId);
  else state.typing.delete(userId);
  renderTyping();
}
function stopTyping(userId: string) {
  state.typing.delete(userId);
  renderTyping();
}
function renderTyping() {
  const names = [...state.typing].map(nameOf);
  $('typing').textContent = names.length ? `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…` : '';
}

// ---------- the details modal: who else has it open ----------
$('open-details').addEventListener('click', () => {
  const active = state.active!;
  state.modal = `details:${active.conversationId}`;
  $('modal-title').textContent = `${active.title} · details`;
  $('modal-body').textContent = `${state.messages.length} message(s) loaded. Everybody with this dialog open is listed below, live.`;
  const modalIds = [state.modal];
  // Modal events reach only the sockets that watch the modal: watch it first, then open it.
  void client()
    .request('modal:watch', { modalIds })
    .then(() => client().request('modal:open', { modalId: modalIds[0] }))
    .then(({ viewers }) => {
      renderViewers(viewers);
      $('modal').hidden = false;
    });
});
$('close-details').addEventListener('click', () => void closeDetails());

async function closeDetails() {
  const modalId = state.modal;
  state.modal = null;
  $('modal').hidden = true;
  if (modalId)
    await Promise.all([
      client()
        .request('modal:close', { modalId })
        .catch(() => undefined),
      client()
        .request('modal:unwatch', { modalIds: [modalId] })
        .catch(() => undefined),
    ]);
}

async function refreshViewers() {
  if (!state.modal) return;
  const { modals } = await client().request('modal:list', { modalId: state.modal });
  renderViewers(modals[0]?.viewers ?? []);
}

/** A viewer's status as presence has it (a viewer is connected: online until presence says more). */
const viewerStatus = (v: Viewer) => {
  const p = state.presence.get(v.userId);
  return p ? shownStatus(p) : 'online';
};

function renderViewers(viewers: Viewer[]) {
  state.viewers = viewers;
  const others = viewers.filter((v) => v.sessionId !== client().sessionId);
  $('modal-viewers').replaceChildren(
    ...(others.length
      ? others.map((v) =>
          el(
            'li',
            { 'data-viewer': v.username },
            // Each viewer's own status (an invisible one shows offline, as everywhere else).
            avatar(v.username, viewerStatus(v)),
            el('span', {}, v.userId === me().id ? `${v.username} (your other tab)` : v.username),
            el('span', { class: 'muted' }, `since ${time(v.openedAt)}`),
          ),
        )
      : [el('li', { class: 'muted' }, 'Nobody else')]),
  );
}
