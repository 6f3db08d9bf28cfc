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
  client: null as RealtimeClient | null,
  presence: new Map<string, Presence>(), // userId -> presence
  conversations: new Map<string, ConversationSummary>(),
  active: null as Target | null,
  messages: [] as Message[],
  typing: new Set<string>(), // userIds typing in the open conversation
  modal: null as string | null, // modalId open in this tab
  found: null as UserWithPresence[] | null, // people search results (offline people too)
  viewers: [] as Viewer[], // of the open modal
};
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
      state.token = data.accessToken;
      state.me = data.user;
      sessionStorage.setItem('auth', JSON.stringify({ token: state.token, user: state.me }));
      start();
    } catch (err) {
      $('auth-error').textContent = (err as Error).message;
    }
  })();
});

// A reload keeps you logged in (this tab only) and resumes the same session.
const saved = JSON.parse(sessionStorage.getItem('auth') || 'null') as { token: string; user: User } | null;
if (saved) {
  state.token = saved.token;
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
  const c = createClient(location.origin, state.token, {
    sessionId: sessionStorage.getItem('sessionId') ?? undefined,
    onSession: ({ sessionId }) => sessionStorage.setItem('sessionId', sessionId),
  });
  state.client = c;

  c.onStatus(({ state: s, error }) => {
    $('conn').classList.toggle('up', s === 'connected');
    if (s === 'refused' && error) {
      // unauthorized / TOKEN_EXPIRED: back to the login form
      sessionStorage.removeItem('auth');
      $('app').hidden = true;
      $('auth').hidden = false;
      $('auth-error').textContent = `${error.code}: ${error.message}`;
    }
  });
  c.on('session', () => void Promise.all([loadPresence(), loadConversations(), loadRooms()]));
  c.on('presence:update', (p) => {
    state.presence.set(p.userId, p);
    if (p.userId === me().id) renderMyStatus(p);
    renderPeople();
    renderConversations();
    renderHeader();
    if (state.modal) renderViewers(state.viewers); // their dots follow their status
  });
  c.on('message:new', onMessage);
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
  const res = await fetch(`/users?search=${encodeURIComponent(search)}&limit=20`, {
    headers: { authorization: `Bearer ${state.token}` },
  });
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
              el('span', { class: 'sub' }, c.lastMessage ? `${c.lastMessage.from.username}: ${c.lastMessage.content}` : 'no messages yet'),
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

function renderMessages() {
  $('messages').replaceChildren(
    ...state.messages.map((m) =>
      el(
        'li',
        { class: `msg${m.from.id === me().id ? ' mine' : ''}`, 'data-seq': m.seq },
        el('span', { class: 'meta' }, `${m.from.username} · ${time(m.createdAt)}`),
        m.content,
      ),
    ),
  );
  $('messages').scrollTop = $('messages').scrollHeight;
}

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
  sendTyping(false);
  void client()
    .request('message:send', { ...targetOf(active), content, clientMsgId: crypto.randomUUID() })
    .then((message) => {
      if (state.active?.conversationId === message.conversationId && !state.messages.some((m) => m.id === message.id)) {
        state.messages.push(message);
        renderMessages();
      }
      void loadConversations();
    });
});

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
