import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import request from 'supertest';
import type { Ack, AuthResult, ClientEventMap, ClientEventName, ServerEventMap, ServerEventName, User } from '../../src/contracts';
import { createClient, type ClientOptions, type RealtimeClient } from '@realtime-backend/client';

export const DEFAULT_WAIT_MS = 3000;

let counter = 0;
/** A username no other test (or run) uses. */
export function uniqueUsername(prefix = 'u'): string {
  counter += 1;
  return `${prefix}${counter}_${randomBytes(3).toString('hex')}`.slice(0, 32);
}

export interface TestUser {
  user: User;
  token: string;
  password: string;
}

export async function registerUser(url: string, name = uniqueUsername(), password = 'correct horse battery'): Promise<TestUser> {
  const res = await request(url).post('/auth/register').send({ username: name, password }).expect(201);
  const body = res.body as AuthResult;
  return { user: body.user, token: body.accessToken, password };
}

type Received = { event: string; payload: unknown };

/**
 * A socket.io client that records every server event, so a test can wait for one
 * (time-limited) or assert that one never came.
 */
export class TestClient {
  readonly received: Received[] = [];
  private waiters: { event: string; match: (p: unknown) => boolean; resolve: (p: unknown) => void }[] = [];

  constructor(readonly socket: Socket) {
    socket.onAny((event: string, payload: unknown) => {
      this.received.push({ event, payload });
      const waiter = this.waiters.find((w) => w.event === event && w.match(payload));
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(payload);
      }
    });
  }

  get id(): string {
    return this.socket.id ?? '';
  }

  /** Payloads of `event` received so far. */
  all<E extends ServerEventName>(event: E): ServerEventMap[E][] {
    return this.received.filter((r) => r.event === event).map((r) => r.payload as ServerEventMap[E]);
  }

  /** The first `event` (already received or arriving within `timeoutMs`) that matches. */
  waitFor<E extends ServerEventName>(
    event: E,
    match: (payload: ServerEventMap[E]) => boolean = () => true,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<ServerEventMap[E]> {
    const seen = this.received.find((r) => r.event === event && match(r.payload as ServerEventMap[E]));
    if (seen) return Promise.resolve(seen.payload as ServerEventMap[E]);
    return new Promise((resolve, reject) => {
      const waiter = {
        event,
        match: match as (p: unknown) => boolean,
        resolve: (p: unknown) => {
          clearTimeout(timer);
          resolve(p as ServerEventMap[E]);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no "${event}" within ${timeoutMs} ms; got: ${this.received.map((r) => r.event).join(', ')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Emits with an ack and resolves with the envelope. */
  request<E extends ClientEventName>(event: E, payload?: unknown): Promise<Ack<ClientEventMap[E]['result']>> {
    return this.socket.timeout(DEFAULT_WAIT_MS).emitWithAck(event, payload) as Promise<Ack<ClientEventMap[E]['result']>>;
  }

  /** Emits and returns the ack data, failing the test when the ack is an error. */
  async ok<E extends ClientEventName>(event: E, payload?: ClientEventMap[E]['payload']): Promise<ClientEventMap[E]['result']> {
    const ack = await this.request(event, payload);
    if (!ack.ok) throw new Error(`${event} failed: ${JSON.stringify(ack.error)}`);
    return ack.data;
  }

  /** Forgets what was received so far. */
  clear(): void {
    this.received.length = 0;
  }

  close(): void {
    this.socket.disconnect();
  }
}

export interface ConnectOptions {
  sessionId?: string;
  /** Extra handshake options, e.g. headers or query. */
  extra?: Record<string, unknown>;
}

/** Connects with `token` and resolves once `session` arrived. */
export async function connect(url: string, token: string | undefined, options: ConnectOptions = {}): Promise<TestClient> {
  const auth: Record<string, unknown> = {};
  if (token !== undefined) auth.token = token;
  if (options.sessionId) auth.sessionId = options.sessionId;
  const socket = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true, ...options.extra });
  const client = new TestClient(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect_error', (err) => reject(Object.assign(new Error(err.message), { data: (err as { data?: unknown }).data })));
    socket.once('connect', () => resolve());
  });
  await client.waitFor('session');
  return client;
}

/** Tries to connect and resolves with the `connect_error` (fails if the connection succeeds). */
export function connectError(
  url: string,
  options: Parameters<typeof io>[1],
): Promise<{ message: string; data?: { code: string; message: string } }> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...options });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('neither connect nor connect_error')), DEFAULT_WAIT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.disconnect();
      reject(new Error('connection was accepted'));
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.disconnect();
      resolve({ message: err.message, data: (err as { data?: { code: string; message: string } }).data });
    });
  });
}

/** A registered user and the tabs `ClientTracker.user` connected for them (none for `user(0)`). */
export interface UserWithTabs extends TestUser {
  tabs: TestClient[];
}

/** A tab `ClientTracker.signIn` connected, once presence counted it. */
export interface SignedIn extends TestUser {
  client: TestClient;
  sessionId: string;
}

/** What a spec opens and must close: test and typed (@realtime-backend/client) clients, bare socket.io sockets, RawSockets. */
type Closable = { close(): void } | { disconnect(): void } | { terminate(): void };

/**
 * The one way specs keep track of the connections they open: everything connected through it
 * (or handed to `track`) is closed by `closeAll()`, in afterEach/afterAll, so no test leaves
 * sockets behind for the next one. Clients connect to the tracker's app; `at(url)` connects to
 * another one and shares the list.
 */
export class ClientTracker {
  constructor(
    private readonly url?: () => string,
    private readonly open: Closable[] = [],
  ) {}

  /** This tracker for the app at `url` (another instance, a restarted app): one closeAll for both. */
  at(url: string): ClientTracker {
    return new ClientTracker(() => url, this.open);
  }

  /** Closes `client` with the others; returns it. */
  track<C extends Closable>(client: C): C {
    this.open.push(client);
    return client;
  }

  /** Connects with `token` (undefined: no `auth.token`) and resolves once `session` arrived. */
  async connect(token: string | undefined, options: ConnectOptions = {}): Promise<TestClient> {
    return this.track(await connect(this.appUrl(), token, options));
  }

  /**
   * A newly registered user with `tabs` connected tabs (0: registered only). No round trip after
   * connecting: a socket is in its chat rooms before `session` arrives.
   */
  async user(tabs = 1): Promise<UserWithTabs> {
    const registered = await registerUser(this.appUrl());
    return { ...registered, tabs: await Promise.all(Array.from({ length: tabs }, () => this.connect(registered.token))) };
  }

  /**
   * Connects a tab of `who` (a new user when omitted) and waits until presence counted it, so
   * the test's next step does not race the connect listeners that run after `session`.
   */
  async signIn(who?: TestUser, options: ConnectOptions = {}): Promise<SignedIn> {
    const user = who ?? (await registerUser(this.appUrl()));
    const client = await this.connect(user.token, options);
    const { sessionId } = await client.waitFor('session');
    await untilCounted(client, user.user.id);
    return { ...user, client, sessionId };
  }

  /** A typed client (@realtime-backend/client), resolved once connected (its first `session` arrived). */
  async typed(token: string, options: ClientOptions = {}): Promise<RealtimeClient> {
    const client = this.track(
      createClient(this.appUrl(), token, { timeoutMs: 5000, ...options, socket: { forceNew: true, ...options.socket } }),
    );
    await client.ready();
    return client;
  }

  closeAll(): void {
    for (const client of this.open.splice(0)) {
      if ('close' in client) client.close();
      else if ('disconnect' in client) client.disconnect();
      else client.terminate();
    }
  }

  private appUrl(): string {
    if (!this.url) throw new Error('this ClientTracker has no app: use at(url)');
    return this.url();
  }
}

/**
 * Presence is announced by a connect listener that runs after `session`; with the Redis stores
 * that takes a few Redis round trips. Waits until the user shows as connected to themselves, then
 * one more round trip, so a test's next step does not race the announcement.
 */
async function untilCounted(client: TestClient, userId: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const ack = await client.request('presence:list', { userIds: [userId] });
    if (!ack.ok) return; // e.g. a rate-limit test: nothing to wait for
    if ((ack.data.users[0]?.connections ?? 0) > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await client.request('presence:list', { userIds: [userId] });
}

/** Waits long enough for an event that should NOT come to have arrived if it were sent. */
export function settle(ms = 150): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
