// Demo of the realtime API on the real socket.io client (served at /vendor/socket.io.min.js).
// Plain JS, no build step; every event name and shape is in /asyncapi.
'use strict';

const $ = (id) => document.getElementById(id);
const state = {
  me: null,
  token: null,
  socket: null,
  presence: new Map(), // userId -> presence
  conversations: new Map(), // conversationId -> summary
  active: null, // { conversationId, title, to?, roomId? }
  messages: [],
  typing: new Map(), // userId -> timer
  modal: null, // modalId open in this tab
};

// ---------- helpers ----------
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
};
const avatar = (name, status) => el('span', { class: 'avatar' }, (name || '?')[0], status ? el('span', { class: `dot ${status}` }) : null);
const dmId = (a, b) => `dm:${[a, b].sort().join(':')}`;
const nameOf = (userId) => state.presence.get(userId)?.username ?? (userId === state.me?.id ? state.me.username : 'someone');
const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** Emits with an ack; resolves with `data` or throws `{ code, message, details }`. */
async function request(event, payload = {}) {
  const ack = await state.socket.timeout(10000).emitWithAck(event, payload);
  if (!ack.ok) throw Object.assign(new Error(ack.error.message), ack.error);
  return ack.data;
}

// ---------- sign up / log in ----------
let authMode = 'login';
for (const id of ['login', 'signup']) $(id).addEventListener('click', (e) => (authMode = e.currentTarget.dataset.mode));
$('auth-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('auth-error').textContent = '';
  const body = { username: $('username').value.trim(), password: $('password').value };
  try {
    const res = await fetch(`/auth/${authMode}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const data = await res.json();
    if (!res.ok) throw new Error(data.error?.message ?? res.statusText);
    state.token = data.accessToken;
    state.me = data.user;
    sessionStorage.setItem('auth', JSON.stringify({ token: state.token, user: state.me }));
    start();
  } catch (err) {
    $('auth-error').textContent = err.message;
  }
});

// A reload keeps you logged in (this tab only) and resumes the same session.
const saved = JSON.parse(sessionStorage.getItem('auth') || 'null');
if (saved) {
  state.token = saved.token;
  state.me = saved.user;
  start();
}

// ---------- connection ----------
function start() {
  $('auth').hidden = true;
  $('app').hidden = false;
  $('me-name').textContent = state.me.username;
  $('me-avatar').replaceWith(Object.assign(avatar(state.me.username, 'online'), { id: 'me-avatar' }));

  // auth is a function so a reconnect sends the current token and resumes the same session.
  const socket = io({
    transports: ['websocket'],
    auth: (cb) => cb({ token: state.token, sessionId: sessionStorage.getItem('sessionId') || undefined }),
  });
  state.socket = socket;

  socket.on('connect', () => $('conn').classList.add('up'));
  socket.on('disconnect', () => $('conn').classList.remove('up'));
  socket.on('connect_error', (err) => {
    $('conn').classList.remove('up');
    if (err.data?.code) {
      // unauthorized / TOKEN_EXPIRED: back to the login form
      sessionStorage.removeItem('auth');
      $('app').hidden = true;
      $('auth').hidden = false;
      $('auth-error').textContent = `${err.data.code}: ${err.data.message}`;
    }
  });
  socket.on('session', async ({ sessionId }) => {
    sessionStorage.setItem('sessionId', sessionId);
    await Promise.all([loadPresence(), loadConversations(), loadRooms()]);
  });
  socket.on('presence:update', (p) => {
    state.presence.set(p.userId, p);
    renderPeople();
    renderConversations();
    renderHeader();
  });
  socket.on('message:new', onMessage);
  socket.on('message:read', () => {});
  socket.on('typing', onTyping);
  socket.on('room:invited', () => {
    loadConversations();
    loadRooms();
  });
  socket.on('room:member-joined', () => loadRooms());
  socket.on('room:member-left', () => loadRooms());
  socket.on('modal:opened', ({ modalId }) => modalId === state.modal && refreshViewers());
  socket.on('modal:closed', ({ modalId }) => modalId === state.modal && refreshViewers());
  socket.on('exception', ({ event, error }) => console.warn(event, error));
}

// ---------- presence ----------
async function loadPresence() {
  const { users } = await request('presence:subscribe', { all: true });
  for (const p of users) state.presence.set(p.userId, p);
  renderPeople();
}

function renderPeople() {
  const people = [...state.presence.values()]
    .filter((p) => p.userId !== state.me.id && p.status !== 'offline')
    .sort((a, b) => a.username.localeCompare(b.username));
  $('online-count').textContent = people.length ? `· ${people.length} online` : '';
  $('people').replaceChildren(
    ...(people.length
      ? people.map((p) =>
          el(
            'li',
            { 'data-user': p.username, onclick: () => openDm(p.userId) },
            avatar(p.username, p.status),
            el('span', { class: 'name' }, p.username, el('span', { class: 'sub' }, p.statusText || p.status)),
          ),
        )
      : [el('li', { class: 'empty' }, 'Nobody else is online')]),
  );
}

$('me-status').addEventListener('change', (e) =>
  request('presence:set', { status: e.target.value }).then((p) => {
    $('me-avatar').querySelector('.dot').className = `dot ${p.invisible ? 'offline' : p.status}`;
  }),
);

// ---------- conversations ----------
async function loadConversations() {
  const { conversations } = await request('conversation:list');
  state.conversations = new Map(conversations.map((c) => [c.conversationId, c]));
  renderConversations();
}

function conversationTitle(c) {
  return c.type === 'room' ? `# ${c.room.name}` : c.peer.username;
}

function renderConversations() {
  const list = [...state.conversations.values()];
  $('conversations').replaceChildren(
    ...(list.length
      ? list.map((c) => {
          const status = c.peer ? (state.presence.get(c.peer.id)?.status ?? 'offline') : null;
          return el(
            'li',
            {
              class: state.active?.conversationId === c.conversationId ? 'active' : '',
              'data-conversation': conversationTitle(c),
              onclick: () => (c.type === 'room' ? openRoom(c.room) : openDm(c.peer.id, c.peer.username)),
            },
            c.type === 'room' ? el('span', { class: 'avatar' }, '#') : avatar(c.peer.username, status),
            el(
              'span',
              { class: 'name' },
              conversationTitle(c),
              el('span', { class: 'sub' }, c.lastMessage ? `${c.lastMessage.from.username}: ${c.lastMessage.content}` : 'no messages yet'),
            ),
            c.unreadCount ? el('span', { class: 'badge', 'data-unread': c.unreadCount }, String(c.unreadCount)) : null,
          );
        })
      : [el('li', { class: 'empty' }, 'No conversations yet')]),
  );
}

async function loadRooms() {
  const { rooms } = await request('room:list', { scope: 'public' });
  $('public-rooms').replaceChildren(
    ...(rooms.length
      ? rooms.map((room) =>
          el(
            'li',
            { 'data-room': room.name, onclick: () => openRoom(room) },
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
$('refresh-rooms').addEventListener('click', () => loadRooms());
setInterval(() => state.socket?.connected && document.visibilityState === 'visible' && loadRooms(), 15000);

$('room-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const room = await request('room:create', { name: $('room-name').value.trim() });
  $('room-name').value = '';
  await Promise.all([loadRooms(), loadConversations()]);
  openRoom(room);
});

// ---------- the open conversation ----------
async function openDm(userId, username) {
  await openConversation({ conversationId: dmId(state.me.id, userId), title: username ?? nameOf(userId), to: userId });
}

async function openRoom(room) {
  await request('room:join', { roomId: room.id }); // joining again changes nothing
  await openConversation({ conversationId: `room:${room.id}`, title: `# ${room.name}`, roomId: room.id });
  loadRooms();
}

async function openConversation(target) {
  if (state.modal) await closeDetails();
  state.active = target;
  state.typing.clear();
  const { messages } = await request('message:history', { conversationId: target.conversationId, limit: 50 });
  state.messages = messages;
  $('message-input').disabled = $('send').disabled = $('open-details').disabled = false;
  renderHeader();
  renderMessages();
  renderTyping();
  await markRead();
  await loadConversations();
  $('message-input').focus();
}

function renderHeader() {
  const a = state.active;
  if (!a) return;
  $('chat-title').textContent = a.title;
  const p = a.to ? state.presence.get(a.to) : null;
  $('chat-sub').textContent = a.to ? (p && p.status !== 'offline' ? p.status : 'offline') : 'room';
}

function renderMessages() {
  $('messages').replaceChildren(
    ...state.messages.map((m) =>
      el(
        'li',
        { class: `msg${m.from.id === state.me.id ? ' mine' : ''}`, 'data-seq': m.seq },
        el('span', { class: 'meta' }, `${m.from.username} · ${time(m.createdAt)}`),
        m.content,
      ),
    ),
  );
  $('messages').scrollTop = $('messages').scrollHeight;
}

async function markRead() {
  const last = state.messages[state.messages.length - 1];
  if (last) await request('message:read', { conversationId: state.active.conversationId, seq: last.seq });
}

function onMessage(message) {
  if (state.active?.conversationId === message.conversationId) {
    state.messages.push(message);
    renderMessages();
    stopTyping(message.from.id);
    if (document.visibilityState !== 'hidden') markRead().then(loadConversations);
  } else {
    loadConversations(); // unread counts come from the server
  }
}

$('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('message-input');
  const content = input.value.trim();
  if (!content || !state.active) return;
  input.value = '';
  sendTyping(false);
  const target = state.active.to ? { to: state.active.to } : { roomId: state.active.roomId };
  const message = await request('message:send', { ...target, content, clientMsgId: crypto.randomUUID() });
  state.messages.push(message);
  renderMessages();
  loadConversations();
});

// ---------- typing ----------
let typingSentAt = 0;
function sendTyping(isTyping) {
  if (!state.active) return;
  const target = state.active.to ? { to: state.active.to } : { roomId: state.active.roomId };
  if (isTyping && Date.now() - typingSentAt < 3000) return; // refresh every 3 s while typing
  typingSentAt = isTyping ? Date.now() : 0;
  request('typing', { ...target, isTyping }).catch(() => {});
}
$('message-input').addEventListener('input', (e) => sendTyping(e.target.value.length > 0));

function onTyping({ conversationId, userId, isTyping }) {
  if (state.active?.conversationId !== conversationId) return;
  if (isTyping) state.typing.set(userId, true);
  else state.typing.delete(userId);
  renderTyping();
}
function stopTyping(userId) {
  state.typing.delete(userId);
  renderTyping();
}
function renderTyping() {
  const names = [...state.typing.keys()].map(nameOf);
  $('typing').textContent = names.length ? `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…` : '';
}

// ---------- the details modal: who else has it open ----------
$('open-details').addEventListener('click', async () => {
  state.modal = `details:${state.active.conversationId}`;
  $('modal-title').textContent = `${state.active.title} · details`;
  $('modal-body').textContent = `${state.messages.length} message(s) loaded. Everybody with this dialog open is listed below, live.`;
  const { viewers } = await request('modal:open', { modalId: state.modal });
  renderViewers(viewers);
  $('modal').hidden = false;
});
$('close-details').addEventListener('click', () => closeDetails());

async function closeDetails() {
  const modalId = state.modal;
  state.modal = null;
  $('modal').hidden = true;
  if (modalId) await request('modal:close', { modalId }).catch(() => {});
}

async function refreshViewers() {
  const { modals } = await request('modal:list', { modalId: state.modal });
  renderViewers(modals[0]?.viewers ?? []);
}

function renderViewers(viewers) {
  const others = viewers.filter((v) => v.sessionId !== sessionStorage.getItem('sessionId'));
  $('modal-viewers').replaceChildren(
    ...(others.length
      ? others.map((v) =>
          el(
            'li',
            { 'data-viewer': v.username },
            avatar(v.username, 'online'),
            el('span', {}, v.userId === state.me.id ? `${v.username} (your other tab)` : v.username),
            el('span', { class: 'muted' }, `since ${time(v.openedAt)}`),
          ),
        )
      : [el('li', { class: 'muted' }, 'Nobody else')]),
  );
}
