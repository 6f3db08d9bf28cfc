/**
 * The bare socket.io baseline of the benchmark: the least a hand-written server needs to do the
 * same job as the service for the benchmarked events, with no framework in between.
 *
 * - socket.io (the service's exact version) with the service's server options: path /socket.io,
 *   websocket + polling, perMessageDeflate off, maxHttpBufferSize = MAX_PAYLOAD_BYTES (65536).
 * - Handshake in `io.use`: HS256 JWT verified with a KeyObject (as TokenService does), the user
 *   read by id (one prepared statement: the message author needs the username), a random
 *   session id stored in `sessions` (one prepared insert, its own commit: the contract resumes a
 *   session after a restart, so a hand-written server must persist it too); on connection the
 *   socket joins `user:<id>` and gets `session` { sessionId, user }.
 * - `message:send`: validated by hand (`validate` below: a plain object, only the contract's
 *   fields, each a string of its length, an unknown field refused as the service's whitelist
 *   does), recipient must exist / sender must be a room member, then one transaction: bump
 *   the conversation's `last_seq`, insert the message (better-sqlite3, WAL,
 *   synchronous=NORMAL), ack `{ ok, data: message }`, then emit
 *   `message:new` to the recipient's and the sender's user rooms (DM) or to the room, except
 *   the sending socket.
 * - `room:create` / `room:join`: persisted room and members, sockets join `room:<id>`; a new
 *   socket joins the rooms its user is a member of (the service's ChatSubscriptions does the same).
 * - Presence: per-user socket counts, a socket.io room per watched user (`presence:<id>`),
 *   `presence:subscribe` { userIds } → ack with the current presence, `presence:update` to the
 *   watchers on online (0→1) and offline (1→0 after PRESENCE_GRACE_MS).
 * - Unknown events with an ack are answered NOT_FOUND, like the service.
 *
 * - Storage: better-sqlite3 (a transaction per message), or with DATABASE_URL=postgres://… the
 *   `pg` driver with each write ONE statement (one round trip per message, per session); with
 *   REDIS_URL the `@socket.io/redis-adapter` (the multi-instance mode).
 *
 * Env: PORT, JWT_SECRET, DATABASE_URL=sqlite:<path>|postgres://…, REDIS_URL, REDIS_KEY_PREFIX,
 * MAX_PAYLOAD_BYTES, PRESENCE_GRACE_MS.
 */
import { createHmac, createSecretKey, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import Database from 'better-sqlite3';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { Server, type DefaultEventsMap, type Socket } from 'socket.io';

// ---- configuration -------------------------------------------------------------------------

const port = Number(process.env.PORT ?? 3100);
const secret = process.env.JWT_SECRET;
if (!secret) throw new Error('JWT_SECRET is required');
const databaseUrl = process.env.DATABASE_URL ?? 'sqlite:./data/baseline.db';
const redisUrl = process.env.REDIS_URL;
const maxPayloadBytes = Number(process.env.MAX_PAYLOAD_BYTES ?? 65_536);
const graceMs = Number(process.env.PRESENCE_GRACE_MS ?? 5000);
const messageMaxLength = 4000;
const key = createSecretKey(Buffer.from(secret, 'utf8'));

// ---- storage -------------------------------------------------------------------------------

/** The schema of the service's migrations 0001/0002 (same columns and indexes), for either engine. */
const SCHEMA = `
  create table if not exists users (
    id varchar(64) primary key, username varchar(32) not null unique, display_name varchar(64) not null,
    password_hash varchar(255) not null, created_at varchar(32) not null, last_seen_at varchar(32));
  -- sessions as in the service's migration 0001.
  create table if not exists sessions (
    id varchar(64) primary key, user_id varchar(64) not null references users(id) on delete cascade,
    created_at varchar(32) not null, last_seen_at varchar(32) not null);
  create index if not exists sessions_user_id_idx on sessions (user_id);
  -- conversations/messages as in the service's migration 0002-chat (same columns and indexes).
  create table if not exists conversations (
    id varchar(160) primary key, kind varchar(8) not null, room_id varchar(64), user_a varchar(64), user_b varchar(64),
    last_seq integer not null default 0, last_message_at varchar(32), created_at varchar(32) not null);
  create index if not exists conversations_user_a_idx on conversations (user_a);
  create index if not exists conversations_user_b_idx on conversations (user_b);
  create table if not exists messages (
    id varchar(64) primary key, conversation_id varchar(160) not null references conversations(id), seq integer not null,
    sender_id varchar(64) not null, sender_username varchar(32) not null, recipient_id varchar(64), room_id varchar(64),
    content text not null, client_msg_id varchar(64), created_at varchar(32) not null);
  create unique index if not exists messages_conversation_seq_uq on messages (conversation_id, seq);
  create unique index if not exists messages_sender_client_msg_uq on messages (sender_id, client_msg_id);
  create table if not exists rooms (
    id varchar(64) primary key, name varchar(64) not null, visibility varchar(16) not null,
    owner_id varchar(64) not null references users(id), created_at varchar(32) not null);
  create table if not exists room_members (
    room_id varchar(64) not null references rooms(id), user_id varchar(64) not null references users(id),
    role varchar(16) not null, joined_at varchar(32) not null, primary key (room_id, user_id));
  create index if not exists rooms_visibility_idx on rooms (visibility, name);
  create index if not exists room_members_user_idx on room_members (user_id);
`;

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  created_at: string;
}
interface RoomRow {
  id: string;
  name: string;
  visibility: string;
  owner_id: string;
  created_at: string;
}
interface Conversation {
  id: string;
  kind: 'dm' | 'room';
  roomId: string | null;
  userA: string | null;
  userB: string | null;
}
interface NewMessage {
  id: string;
  from: { id: string; username: string };
  to: string | null;
  content: string;
  clientMsgId: string | null;
  at: string;
}

/** What the handlers read and write; each method one prepared statement or one transaction. */
interface Store {
  userById(id: string): Promise<UserRow | undefined>;
  insertSession(id: string, userId: string, at: string): Promise<void>;
  roomIdsOf(userId: string): Promise<string[]>;
  /** The conversation's counter row created or incremented and the message inserted, atomically; its seq. */
  storeMessage(c: Conversation, m: NewMessage): Promise<number>;
  isMember(roomId: string, userId: string): Promise<boolean>;
  createRoom(room: RoomRow, members: string[]): Promise<void>;
  addMember(roomId: string, userId: string, at: string): Promise<void>;
  roomById(id: string): Promise<RoomRow | undefined>;
  memberCount(roomId: string): Promise<number>;
  usersByIds(ids: string[]): Promise<UserRow[]>;
}

function sqliteStore(path: string): Store {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const stmt = {
    userById: db.prepare<[string], UserRow>('select id, username, display_name, created_at from users where id = ?'),
    insertSession: db.prepare('insert into sessions (id, user_id, created_at, last_seen_at) values (?, ?, ?, ?)'),
    usersByIds: db.prepare<[string], UserRow>(
      'select id, username, display_name, created_at from users where id in (select value from json_each(?))',
    ),
    nextSeq: db.prepare<[string, string, string | null, string | null, string | null, string, string, string], { last_seq: number }>(
      `insert into conversations (id, kind, room_id, user_a, user_b, last_seq, last_message_at, created_at) values (?, ?, ?, ?, ?, 1, ?, ?)
       on conflict (id) do update set last_seq = conversations.last_seq + 1, last_message_at = ? returning last_seq`,
    ),
    insertMessage: db.prepare(
      'insert into messages (id, conversation_id, seq, sender_id, sender_username, recipient_id, room_id, content, client_msg_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    isMember: db.prepare<[string, string], { one: number }>('select 1 as one from room_members where room_id = ? and user_id = ?'),
    insertRoom: db.prepare('insert into rooms (id, name, visibility, owner_id, created_at) values (?, ?, ?, ?, ?)'),
    insertMember: db.prepare('insert into room_members (room_id, user_id, role, joined_at) values (?, ?, ?, ?) on conflict do nothing'),
    roomIdsOf: db.prepare<[string], { room_id: string }>('select room_id from room_members where user_id = ?'),
    roomById: db.prepare<[string], RoomRow>('select id, name, visibility, owner_id, created_at from rooms where id = ?'),
    memberCount: db.prepare<[string], { n: number }>('select count(*) as n from room_members where room_id = ?'),
  };
  const storeMessage = db.transaction((c: Conversation, m: NewMessage) => {
    const { last_seq: seq } = stmt.nextSeq.get(c.id, c.kind, c.roomId, c.userA, c.userB, m.at, m.at, m.at)!;
    stmt.insertMessage.run(m.id, c.id, seq, m.from.id, m.from.username, m.to, c.roomId, m.content, m.clientMsgId, m.at);
    return seq;
  });
  const createRoom = db.transaction((room: RoomRow, members: string[]) => {
    stmt.insertRoom.run(room.id, room.name, room.visibility, room.owner_id, room.created_at);
    stmt.insertMember.run(room.id, room.owner_id, 'owner', room.created_at);
    for (const m of members) stmt.insertMember.run(room.id, m, 'member', room.created_at);
  });
  // better-sqlite3 is synchronous: each method is its statement, wrapped in a resolved promise (a
  // statement that throws does so inside the async handler that called it: a rejection there).
  return {
    userById: (id) => Promise.resolve(stmt.userById.get(id)),
    insertSession: (id, userId, at) => Promise.resolve(void stmt.insertSession.run(id, userId, at, at)),
    roomIdsOf: (userId) => Promise.resolve(stmt.roomIdsOf.all(userId).map((r) => r.room_id)),
    storeMessage: (c, m) => Promise.resolve(storeMessage(c, m)),
    isMember: (roomId, userId) => Promise.resolve(stmt.isMember.get(roomId, userId) !== undefined),
    createRoom: (room, members) => Promise.resolve(createRoom(room, members)),
    addMember: (roomId, userId, at) => Promise.resolve(void stmt.insertMember.run(roomId, userId, 'member', at)),
    roomById: (id) => Promise.resolve(stmt.roomById.get(id)),
    memberCount: (roomId) => Promise.resolve(stmt.memberCount.get(roomId)!.n),
    usersByIds: (ids) => Promise.resolve(stmt.usersByIds.all(JSON.stringify(ids))),
  };
}

/** PostgreSQL: every write one statement (its own transaction), so one round trip each; named statements are prepared once per connection. */
async function postgresStore(url: string): Promise<Store> {
  const pool = new Pool({ connectionString: url, max: 10 });
  await pool.query(SCHEMA);
  const one = async <R extends object>(name: string, text: string, values: unknown[]) => (await pool.query<R>({ name, text, values })).rows;
  return {
    userById: async (id) => (await one<UserRow>('user', 'select id, username, display_name, created_at from users where id = $1', [id]))[0],
    insertSession: async (id, userId, at) =>
      void (await one('session', 'insert into sessions (id, user_id, created_at, last_seen_at) values ($1, $2, $3, $3)', [id, userId, at])),
    roomIdsOf: async (userId) =>
      (await one<{ room_id: string }>('rooms-of', 'select room_id from room_members where user_id = $1', [userId])).map((r) => r.room_id),
    storeMessage: async (c, m) =>
      (
        await one<{ seq: number }>(
          'store',
          `with c as (insert into conversations (id, kind, room_id, user_a, user_b, last_seq, last_message_at, created_at)
             values ($1, $2, $3, $4, $5, 1, $6, $6)
             on conflict (id) do update set last_seq = conversations.last_seq + 1, last_message_at = $6 returning last_seq)
           insert into messages (id, conversation_id, seq, sender_id, sender_username, recipient_id, room_id, content, client_msg_id, created_at)
           values ($7, $1, (select last_seq from c), $8, $9, $10, $3, $11, $12, $6) returning seq`,
          [c.id, c.kind, c.roomId, c.userA, c.userB, m.at, m.id, m.from.id, m.from.username, m.to, m.content, m.clientMsgId],
        )
      )[0].seq,
    isMember: async (roomId, userId) =>
      (await one('member', 'select 1 from room_members where room_id = $1 and user_id = $2', [roomId, userId])).length > 0,
    createRoom: async (room, members) => {
      await one(
        'room',
        `with r as (insert into rooms (id, name, visibility, owner_id, created_at) values ($1, $2, $3, $4, $5) returning id)
         insert into room_members (room_id, user_id, role, joined_at)
         select (select id from r), u, case when u = $4 then 'owner' else 'member' end, $5 from unnest($6::text[]) as u`,
        [room.id, room.name, room.visibility, room.owner_id, room.created_at, [room.owner_id, ...members]],
      );
    },
    addMember: async (roomId, userId, at) =>
      void (await one(
        'join',
        `insert into room_members (room_id, user_id, role, joined_at) values ($1, $2, 'member', $3) on conflict do nothing`,
        [roomId, userId, at],
      )),
    roomById: async (id) =>
      (await one<RoomRow>('room-by-id', 'select id, name, visibility, owner_id, created_at from rooms where id = $1', [id]))[0],
    memberCount: async (roomId) =>
      Number((await one<{ n: string }>('count', 'select count(*) as n from room_members where room_id = $1', [roomId]))[0].n),
    usersByIds: async (ids) =>
      one<UserRow>('users', 'select id, username, display_name, created_at from users where id = any($1::text[])', [ids]),
  };
}

interface User {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
}
const toUser = (r: UserRow): User => ({ id: r.id, username: r.username, displayName: r.display_name, createdAt: r.created_at });

// ---- validation (by hand: what the contract requires, nothing more) --------------------------

class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type Rule = (value: unknown) => string | undefined;
const optional =
  (rule: Rule): Rule =>
  (v) =>
    v === undefined ? undefined : rule(v);
const str =
  (min: number, max: number): Rule =>
  (v) =>
    typeof v !== 'string' ? 'must be a string' : v.length < min || v.length > max ? `must be ${min}-${max} characters` : undefined;
const oneOf =
  (...allowed: string[]): Rule =>
  (v) =>
    typeof v === 'string' && allowed.includes(v) ? undefined : `must be one of ${allowed.join(', ')}`;
const bool: Rule = (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean');
const strings =
  (max: number): Rule =>
  (v) =>
    !Array.isArray(v) || v.length > max || v.some((x) => typeof x !== 'string') ? `must be at most ${max} strings` : undefined;

/** A plain object with only the fields of `schema`, each passing its rule: the service's whitelist semantics. */
function validate<T>(schema: Record<string, Rule>, value: unknown): T {
  if (value === undefined || value === null) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new AppError('BAD_REQUEST', 'Payload must be a JSON object');
  const body = value as Record<string, unknown>;
  const details: { field: string; errors: string[] }[] = [];
  for (const key in body) if (!Object.hasOwn(schema, key)) details.push({ field: key, errors: ['is not allowed'] });
  for (const key in schema) {
    const error = schema[key](body[key]);
    if (error) details.push({ field: key, errors: [error] });
  }
  if (details.length) throw new AppError('BAD_REQUEST', 'Invalid payload', details);
  return body as T;
}

const messageSend = {
  to: optional(str(1, 64)),
  roomId: optional(str(1, 64)),
  content: str(0, messageMaxLength * 4),
  clientMsgId: optional(str(1, 64)),
};
const roomCreate = { name: str(1, 64), visibility: optional(oneOf('public', 'private')), members: optional(strings(10_000)) };
const roomJoin = { roomId: str(1, 64) };
const presenceSubscribe = { userIds: optional(strings(500)), all: optional(bool) };
interface MessageSendBody {
  to?: string;
  roomId?: string;
  content: string;
  clientMsgId?: string;
}

// ---- JWT (HS256 by hand: header, HMAC with the KeyObject, exp) ------------------------------

/** Headers seen to say `alg: HS256` (every token of one issuer has the same header: parsed once). */
const hs256Headers = new Set<string>();
function isHs256(header: string): boolean {
  if (hs256Headers.has(header)) return true;
  try {
    const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown };
    if (alg !== 'HS256' || hs256Headers.size > 16) return false;
  } catch {
    return false;
  }
  hs256Headers.add(header);
  return true;
}

/** The `sub` of a valid HS256 token (signature, exp, nbf), else undefined. */
function verifyToken(token: unknown): string | undefined {
  if (typeof token !== 'string' || token.length === 0 || token.length > 4096) return undefined;
  const [header, payload, signature, extra] = token.split('.');
  if (extra !== undefined || !header || !payload || !signature || !isHs256(header)) return undefined;
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let claims: { sub?: unknown; exp?: unknown; nbf?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return undefined;
  }
  const now = Date.now() / 1000;
  if (typeof claims.exp === 'number' && claims.exp <= now) return undefined;
  if (typeof claims.nbf === 'number' && claims.nbf > now) return undefined;
  return typeof claims.sub === 'string' ? claims.sub : undefined;
}

// ---- socket.io -----------------------------------------------------------------------------

interface Data {
  user: User;
  sessionId: string;
  /** The user's chat rooms, read in the handshake so the socket is in them from its first moment. */
  roomIds: string[];
}
// The bench baseline speaks untyped events (socket.io's default map); only `socket.data` is typed.
type BSocket = Socket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, Data>;
type AckFn = (response: unknown) => void;

/** Opened before the server listens (see the end of the file). */
let store: Store;

const httpServer = createServer((req, res) => {
  if (req.url === '/health') res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  else res.writeHead(404).end();
});
const io = new Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, Data>(httpServer, {
  path: '/socket.io',
  serveClient: false,
  cors: { origin: true, credentials: true },
  maxHttpBufferSize: maxPayloadBytes,
  perMessageDeflate: false,
  transports: ['websocket', 'polling'],
});

const unauthorized = () => Object.assign(new Error('unauthorized'), { data: { code: 'UNAUTHORIZED', message: 'Invalid token' } });
io.use((socket, next) => {
  const userId = verifyToken(socket.handshake.auth?.token);
  if (userId === undefined) return next(unauthorized());
  void (async () => {
    const row = await store.userById(userId);
    if (!row) return next(unauthorized());
    const sessionId = randomUUID();
    await store.insertSession(sessionId, row.id, new Date().toISOString());
    socket.data = { user: toUser(row), sessionId, roomIds: await store.roomIdsOf(row.id) };
    next();
  })().catch(() => next(unauthorized()));
});

// Presence: sockets per user and pending offline timers.
const online = new Map<string, number>();
const offlineTimers = new Map<string, NodeJS.Timeout>();
const presenceOf = (user: { id: string; username: string }) => {
  const connections = online.get(user.id) ?? 0;
  return { userId: user.id, username: user.username, status: connections > 0 ? 'online' : 'offline', connections };
};

function handler(socket: BSocket, fn: (payload: unknown) => Promise<unknown>) {
  return (payload: unknown, ack?: AckFn) => {
    if (typeof payload === 'function' && ack === undefined) {
      ack = payload as AckFn;
      payload = undefined;
    }
    fn(payload).then(
      (data) => ack?.({ ok: true, data: data ?? {} }),
      (error: unknown) => {
        const e = error instanceof AppError ? error : new AppError('INTERNAL', 'Internal error');
        const body = { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
        if (ack) ack({ ok: false, error: body });
        else socket.emit('exception', { event: 'unknown', error: body });
      },
    );
  };
}

io.on('connection', (socket: BSocket) => {
  const { user, sessionId, roomIds } = socket.data;
  // Like the service's ChatSubscriptions: every socket is in its user's chat rooms.
  void socket.join([`user:${user.id}`, ...roomIds.map((id) => `room:${id}`)]);
  socket.emit('session', { sessionId, user });

  const count = (online.get(user.id) ?? 0) + 1;
  online.set(user.id, count);
  if (count === 1) {
    const pending = offlineTimers.get(user.id);
    if (pending) {
      clearTimeout(pending);
      offlineTimers.delete(user.id);
    } else {
      io.to(`presence:${user.id}`).emit('presence:update', presenceOf(user));
    }
  }

  socket.on('disconnect', () => {
    const left = (online.get(user.id) ?? 1) - 1;
    if (left > 0) return void online.set(user.id, left);
    online.delete(user.id);
    const timer = setTimeout(() => {
      offlineTimers.delete(user.id);
      if (online.has(user.id)) return;
      io.to(`presence:${user.id}`).emit('presence:update', { ...presenceOf(user), lastSeenAt: new Date().toISOString() });
    }, graceMs);
    offlineTimers.set(user.id, timer);
  });

  socket.on(
    'message:send',
    handler(socket, async (payload) => {
      const body = validate<MessageSendBody>(messageSend, payload);
      const content = body.content.trim();
      if (content.length < 1 || content.length > messageMaxLength) throw new AppError('BAD_REQUEST', 'content must be 1-4000 characters');
      if ((body.to === undefined) === (body.roomId === undefined)) throw new AppError('BAD_REQUEST', 'exactly one of to/roomId');
      const id = randomUUID();
      const createdAt = new Date().toISOString();
      if (body.to !== undefined) {
        const to = body.to;
        if (!(await store.userById(to))) throw new AppError('NOT_FOUND', 'User not found');
        const [a, b] = user.id < to ? [user.id, to] : [to, user.id];
        const conversationId = `dm:${a}:${b}`;
        const conversation: Conversation = { id: conversationId, kind: 'dm', roomId: null, userA: a, userB: b };
        const seq = await store.storeMessage(conversation, {
          id,
          from: user,
          to,
          content,
          clientMsgId: body.clientMsgId ?? null,
          at: createdAt,
        });
        const message = { id, conversationId, seq, from: { id: user.id, username: user.username }, to, content, createdAt };
        socket.to([`user:${to}`, `user:${user.id}`]).emit('message:new', message);
        return message;
      }
      const roomId = body.roomId!;
      if (!(await store.isMember(roomId, user.id))) throw new AppError('FORBIDDEN', 'Not a member of this room');
      const conversationId = `room:${roomId}`;
      const conversation: Conversation = { id: conversationId, kind: 'room', roomId, userA: null, userB: null };
      const seq = await store.storeMessage(conversation, {
        id,
        from: user,
        to: null,
        content,
        clientMsgId: body.clientMsgId ?? null,
        at: createdAt,
      });
      const message = { id, conversationId, seq, from: { id: user.id, username: user.username }, roomId, content, createdAt };
      socket.to(`room:${roomId}`).emit('message:new', message);
      return message;
    }),
  );

  socket.on(
    'room:create',
    handler(socket, async (payload) => {
      const body = validate<{ name: string; visibility?: 'public' | 'private'; members?: string[] }>(roomCreate, payload);
      const id = randomUUID();
      const createdAt = new Date().toISOString();
      const members = [...new Set((body.members ?? []).filter((m) => m !== user.id))];
      await store.createRoom(
        { id, name: body.name, visibility: body.visibility ?? 'public', owner_id: user.id, created_at: createdAt },
        members,
      );
      io.in([`user:${user.id}`, ...members.map((m) => `user:${m}`)]).socketsJoin(`room:${id}`);
      return { id, name: body.name, visibility: body.visibility ?? 'public', ownerId: user.id, memberCount: members.length + 1, createdAt };
    }),
  );

  socket.on(
    'room:join',
    handler(socket, async (payload) => {
      const { roomId } = validate<{ roomId: string }>(roomJoin, payload);
      const room = await store.roomById(roomId);
      if (!room) throw new AppError('NOT_FOUND', 'Room not found');
      await store.addMember(roomId, user.id, new Date().toISOString());
      io.in(`user:${user.id}`).socketsJoin(`room:${roomId}`);
      const memberCount = await store.memberCount(roomId);
      return {
        room: {
          id: room.id,
          name: room.name,
          visibility: room.visibility,
          ownerId: room.owner_id,
          memberCount,
          createdAt: room.created_at,
        },
        members: [],
      };
    }),
  );

  socket.on(
    'presence:subscribe',
    handler(socket, async (payload) => {
      const body = validate<{ userIds?: string[]; all?: boolean }>(presenceSubscribe, payload);
      const ids = [...new Set(body.userIds ?? [])];
      void socket.join(ids.map((id) => `presence:${id}`));
      return { users: (await store.usersByIds(ids)).map((row) => presenceOf(row)) };
    }),
  );

  const known = new Set(['message:send', 'room:create', 'room:join', 'presence:subscribe']);
  socket.onAny((event: string, ...args: unknown[]) => {
    if (known.has(event)) return;
    const ack = args[args.length - 1];
    if (typeof ack === 'function')
      (ack as AckFn)({ ok: false, error: { code: 'NOT_FOUND', message: `Unknown event "${String(event).slice(0, 64)}"` } });
  });
});

async function start(): Promise<void> {
  store = databaseUrl.startsWith('postgres') ? await postgresStore(databaseUrl) : sqliteStore(databaseUrl.replace(/^sqlite:/, ''));
  if (redisUrl) {
    const pub = new Redis(redisUrl);
    io.adapter(createAdapter(pub, pub.duplicate(), { key: `${process.env.REDIS_KEY_PREFIX ?? ''}socket.io` }));
  }
  httpServer.listen(port, '127.0.0.1', () => {
    process.stdout.write(`baseline listening on ${port}\n`);
  });
}
void start();
const shutdown = () => {
  void io.close();
  process.exit(0);
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
