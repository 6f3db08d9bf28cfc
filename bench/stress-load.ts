/**
 * The stress run's attack client: `node bench/dist/stress-load.js '<StressSpec json>'`, started
 * by stress.ts pinned to the load core. Protocol on stdin/stdout:
 *   1. sets up (connects the sockets that are not part of the attack itself), prints `READY`;
 *   2. waits for `GO` on stdin, attacks for `durationMs` or until `STOP` on stdin;
 *   3. prints `RESULT <json>` and exits.
 * Nothing here asserts a timing: each attack reports what it saw, including refusals
 * (RATE_LIMITED, 429, 503) and disconnects, which is what a fixed server is expected to answer.
 */
import { readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type WebSocket from 'ws';
import { percentile, round, type BenchUser } from './load';
import { connect, type WireSocket } from './wire-client';

export type AttackName = 'stall' | 'pong' | 'roomjoin' | 'login';

export interface StressSpec {
  attack: AttackName;
  url: string;
  usersFile: string;
  params: Record<string, number>;
  /** roomjoin: the public room users[0..roomSize) are members of. */
  roomId?: string;
  /** login: the password of every user in the users file. */
  password?: string;
  /** login: `many` sends a distinct X-Forwarded-For per request, `single` always the same one. */
  addresses?: 'many' | 'single';
}

export type Result = Record<string, unknown>;

const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const count = (tally: Record<string, number>, key: string) => (tally[key] = (tally[key] ?? 0) + 1);

/** The attack window: opened by `GO`, closed after `durationMs` or by `STOP` from the orchestrator. */
class Window {
  private t0 = 0;
  private closeWindow!: () => void;
  readonly closed = new Promise<void>((r) => (this.closeWindow = r));
  isClosed = false;

  constructor(readonly durationMs: number) {
    void this.closed.then(() => (this.isClosed = true));
  }

  open(): void {
    this.t0 = now();
    setTimeout(() => this.closeWindow(), this.durationMs).unref();
  }

  close(): void {
    this.closeWindow();
  }

  /** Seconds since GO, 0.1 s resolution. */
  elapsedSec(): number {
    return round((now() - this.t0) / 1000, 1);
  }
}

/** Calls `fn(k)` for k = 0, 1, … at `perSec` (open loop, due times t0 + k/perSec) until the window closes. */
async function openLoop(window: Window, perSec: number, fn: (k: number) => void): Promise<{ sent: number; maxLagMs: number }> {
  const t0 = now();
  let maxLagMs = 0;
  let k = 0;
  while (!window.isClosed) {
    const due = t0 + (k * 1000) / perSec;
    const wait = due - now();
    if (wait > 0) await Promise.race([sleep(wait), window.closed]);
    if (window.isClosed) break;
    maxLagMs = Math.max(maxLagMs, now() - due);
    fn(k++);
  }
  return { sent: k, maxLagMs: round(maxLagMs) };
}

// ---- stalled clients: what the server did with them, seen from outside ----------------------

/** `open` (ESTABLISHED), `fin` (the server closed its side: CLOSE_WAIT), `reset` (gone from the table), or the raw state. */
type TcpState = 'open' | 'fin' | 'reset' | 'unknown' | `st:${string}`;

/**
 * The kernel's view of client sockets, from /proc/net/tcp: a socket that is not read from never
 * sees the server's FIN or RST in Node (the fd is not polled while paused), but the kernel does.
 */
function tcpStates(serverPort: number, localPorts: number[]): Map<number, { state: TcpState; rxQueue: number }> {
  const result = new Map<number, { state: TcpState; rxQueue: number }>();
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    for (const port of localPorts) result.set(port, { state: 'unknown', rxQueue: 0 });
    return result;
  }
  const wanted = new Set(localPorts);
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const local = parseInt(f[1].split(':')[1], 16);
    const remote = parseInt(f[2].split(':')[1], 16);
    if (!wanted.has(local) || remote !== serverPort) continue;
    const st = f[3];
    result.set(local, { state: st === '01' ? 'open' : st === '08' ? 'fin' : `st:${st}`, rxQueue: parseInt(f[4].split(':')[1], 16) });
  }
  for (const port of localPorts) if (!result.has(port)) result.set(port, { state: 'reset', rxQueue: 0 });
  return result;
}

function localPort(socket: WireSocket): number {
  // ws keeps the net.Socket private; its port is how /proc/net/tcp names the connection.
  return (socket.ws as unknown as { _socket: Socket })._socket.localPort ?? 0;
}

/** A client that completed the handshake and then stopped reading (the TCP socket is paused). */
interface StalledClient {
  label: string;
  userId: string;
  socket: WireSocket;
  port: number;
  /** When the server's FIN/RST reached the kernel (null: still open). */
  tcpClosedAtSec: number | null;
  tcpState: TcpState;
  /** When Node saw `close` (only happens if the client reads; kept to catch surprises). */
  wsCloseAtSec: number | null;
}

async function connectStalled(spec: StressSpec, window: Window, label: string, user: BenchUser): Promise<StalledClient> {
  const socket = await connect({ url: spec.url, auth: { token: user.token } });
  // ws.pause() pauses the net.Socket and keeps ws from resuming it when its parser drains.
  socket.ws.pause();
  const client: StalledClient = {
    label,
    userId: user.id,
    socket,
    port: localPort(socket),
    tcpClosedAtSec: null,
    tcpState: 'open',
    wsCloseAtSec: null,
  };
  socket.ws.on('close', () => (client.wsCloseAtSec ??= window.elapsedSec()));
  return client;
}

/**
 * Polls once a second: the server's own count of each watched user's connections
 * (`presence:list { userIds }` from an observer socket that reads normally: `connections` drops
 * when socket.io disconnects a socket) and each stalled client's TCP state.
 */
class StallWatch {
  /** Per second: the server's count of each watched user's sockets (by label), TCP connections still open, kernel receive queues. */
  readonly timeline: { t: number; connections: Record<string, number | null>; tcpOpen: number; rxQueueKB: number }[] = [];
  /** Per watched user id: when the server's count first dropped below the start, and when it reached 0. */
  readonly drops = new Map<string, { start: number | null; firstDropSec: number | null; zeroSec: number | null }>();
  private latest = new Map<string, number>();
  private pending = false;
  private timer?: NodeJS.Timeout;
  private readonly userIds: string[];

  constructor(
    private readonly observer: WireSocket,
    private readonly users: { label: string; id: string }[],
    private readonly clients: StalledClient[],
    private readonly serverPort: number,
    private readonly window: Window,
  ) {
    this.userIds = users.map((u) => u.id);
    for (const id of this.userIds) this.drops.set(id, { start: null, firstDropSec: null, zeroSec: null });
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    const t = this.window.elapsedSec();
    const states = tcpStates(
      this.serverPort,
      this.clients.map((c) => c.port),
    );
    let rx = 0;
    for (const c of this.clients) {
      const s = states.get(c.port)!;
      c.tcpState = s.state;
      rx += s.rxQueue;
      if (s.state !== 'open' && c.tcpClosedAtSec === null) c.tcpClosedAtSec = t;
    }
    this.timeline.push({
      t,
      connections: Object.fromEntries(this.users.map((u) => [u.label, this.latest.get(u.id) ?? null])),
      tcpOpen: this.clients.filter((c) => c.tcpState === 'open').length,
      rxQueueKB: round(rx / 1024, 0),
    });
    this.pollServer();
  }

  /** One presence:list in flight at most: a slow server must not pile up observer events. */
  private pollServer(): void {
    if (this.pending || this.observer.closed) return;
    this.pending = true;
    void this.observer.emitWithAck('presence:list', { userIds: this.userIds }, 10_000).then((ack) => {
      this.pending = false;
      if (!ack.ok) return;
      const t = this.window.elapsedSec();
      for (const p of (ack.data as { users: { userId: string; connections: number }[] }).users) {
        this.latest.set(p.userId, p.connections);
        const d = this.drops.get(p.userId);
        if (!d) continue;
        d.start ??= p.connections;
        if (d.firstDropSec === null && p.connections < d.start) d.firstDropSec = t;
        if (d.zeroSec === null && p.connections === 0) d.zeroSec = t;
      }
    });
  }

  connectionsNow(userId: string): number | null {
    return this.latest.get(userId) ?? null;
  }
}

function describeClients(clients: StalledClient[]) {
  return clients.map((c) => ({ label: c.label, tcpState: c.tcpState, tcpClosedAtSec: c.tcpClosedAtSec, wsCloseAtSec: c.wsCloseAtSec }));
}

// ---- 1. stall -----------------------------------------------------------------------------

/** `bytes` of UTF-8 in 4-byte code points: 16,000 bytes are 4,000 characters, within MESSAGE_MAX_LENGTH's default 4,000. */
function heavyContent(bytes: number): string {
  return '\u{1F4A5}'.repeat(Math.max(1, Math.floor(bytes / 4)));
}

/**
 * One victim user with `victimSockets` sockets that stop reading right after the handshake, and
 * `senders` other users each sending `ratePerSender` DMs/s of `contentBytes` to the victim.
 * Every DM is written to all of the victim's sockets; nothing drains them.
 */
async function stall(spec: StressSpec, users: BenchUser[], window: Window, ready: () => Promise<void>): Promise<Result> {
  const { victimSockets, senders: senderCount, ratePerSender, contentBytes } = spec.params;
  const [victim, observerUser] = users;
  const senderUsers = users.slice(2, 2 + senderCount);
  const observer = await connect({ url: spec.url, auth: { token: observerUser.token } });
  const senders = await Promise.all(senderUsers.map((u) => connect({ url: spec.url, auth: { token: u.token } })));
  await ready();

  const clients = await Promise.all(
    Array.from({ length: victimSockets }, (_, i) => connectStalled(spec, window, `victim#${i + 1}`, victim)),
  );
  const watch = new StallWatch(observer, [{ label: 'victim', id: victim.id }], clients, Number(new URL(spec.url).port), window);
  watch.start();
  const content = heavyContent(contentBytes);
  const ackLatencies: number[] = [];
  const ackErrors: Record<string, number> = {};
  let acked = 0;
  // Sender k % n sends message k: each sender's own rate stays ratePerSender, under the per-socket limit.
  const loop = await openLoop(window, ratePerSender * senderCount, (k) => {
    const t = now();
    senders[k % senderCount].emit('message:send', { to: victim.id, content }, (ack) => {
      if (window.isClosed) return;
      if (ack.ok) {
        acked++;
        ackLatencies.push(now() - t);
      } else count(ackErrors, ack.error.code);
    });
  });
  watch.stop();
  const drop = watch.drops.get(victim.id)!;
  const result = {
    attackSec: window.elapsedSec(),
    victimSockets,
    senders: senderCount,
    ratePerSender,
    contentUtf8Bytes: Buffer.byteLength(content),
    contentChars: [...content].length,
    sent: loop.sent,
    acked,
    ackErrors,
    ackP50Ms: percentile(ackLatencies, 50),
    ackP99Ms: percentile(ackLatencies, 99),
    senderMaxLagMs: loop.maxLagMs,
    // What the server was asked to write to sockets that read nothing: every acked DM × each victim socket.
    queuedForVictimsMB: round((acked * Buffer.byteLength(content) * victimSockets) / 1e6, 1),
    serverConnectionsAtEnd: watch.connectionsNow(victim.id),
    firstSocketioDropSec: drop.firstDropSec,
    allSocketioDroppedSec: drop.zeroSec,
    tcpClosedByServer: clients.filter((c) => c.tcpClosedAtSec !== null).length,
    firstTcpCloseSec: minOrNull(clients.map((c) => c.tcpClosedAtSec)),
    clients: describeClients(clients),
    timeline: watch.timeline,
  };
  for (const s of [...senders, observer]) s.terminate();
  for (const c of clients) c.socket.terminate();
  return result;
}

function minOrNull(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? Math.min(...present) : null;
}

// ---- 2. pong ------------------------------------------------------------------------------

/**
 * Two clients that stop reading after the handshake: `pong` sends an unsolicited engine.io pong
 * (`3`) every `pongEveryMs`, `silent` sends nothing. The window ends early once the server
 * closed both TCP connections.
 */
async function pong(spec: StressSpec, users: BenchUser[], window: Window, ready: () => Promise<void>): Promise<Result> {
  const [pongUser, silentUser, observerUser] = users;
  const observer = await connect({ url: spec.url, auth: { token: observerUser.token } });
  await ready();

  const ponger = await connectStalled(spec, window, 'pong', pongUser);
  const silent = await connectStalled(spec, window, 'silent', silentUser);
  const clients = [ponger, silent];
  const watched = [
    { label: 'pong', id: pongUser.id },
    { label: 'silent', id: silentUser.id },
  ];
  const watch = new StallWatch(observer, watched, clients, Number(new URL(spec.url).port), window);
  watch.start();
  let pongs = 0;
  const pongTimer = setInterval(() => {
    if (ponger.tcpState !== 'open') return;
    ponger.socket.ws.send('3');
    pongs++;
  }, spec.params.pongEveryMs);
  const bothClosed = setInterval(() => {
    if (clients.every((c) => c.tcpClosedAtSec !== null)) window.close();
  }, 250);
  await window.closed;
  clearInterval(pongTimer);
  clearInterval(bothClosed);
  watch.stop();
  const attackSec = window.elapsedSec();
  const report = (c: StalledClient, userId: string) => ({
    socketioDisconnectSec: watch.drops.get(userId)!.zeroSec,
    tcpClosedSec: c.tcpClosedAtSec,
    tcpState: c.tcpState,
  });
  const result = {
    attackSec,
    pongEveryMs: spec.params.pongEveryMs,
    pongsSent: pongs,
    pong: report(ponger, pongUser.id),
    silent: report(silent, silentUser.id),
    timeline: watch.timeline,
  };
  for (const c of clients) c.socket.terminate();
  observer.terminate();
  return result;
}

// ---- 3. roomjoin --------------------------------------------------------------------------

/**
 * `sockets` members of a big public room each send `room:join { roomId }` at `ratePerSocket`
 * (open loop). Acks are read off the wire without parsing the member list: only the frame size
 * and whether it starts with `{"ok":true`.
 */
async function roomjoin(spec: StressSpec, users: BenchUser[], window: Window, ready: () => Promise<void>): Promise<Result> {
  const { sockets: socketCount, ratePerSocket, drainMs } = spec.params;
  const roomId = spec.roomId!;
  const members = users.slice(1, 1 + socketCount);
  const sockets = await Promise.all(members.map((u) => connect({ url: spec.url, auth: { token: u.token } })));
  // Ids far above WireSocket's own, so its ack table never matches (and never parses) these frames.
  let nextId = 1_000_000;
  const pending = new Map<number, number>();
  const latencies: number[] = [];
  const sizes: number[] = [];
  const errors: Record<string, number> = {};
  let ok = 0;
  for (const s of sockets)
    s.ws.on('message', (raw: WebSocket.RawData) =>
      onAckFrame(raw, pending, (id, bytes, code) => {
        const sentAt = pending.get(id)!;
        pending.delete(id);
        latencies.push(now() - sentAt);
        if (code === undefined) {
          ok++;
          sizes.push(bytes);
        } else count(errors, code);
      }),
    );
  await ready();

  const frame = `${JSON.stringify(['room:join', { roomId }])}`;
  const loop = await openLoop(window, ratePerSocket * socketCount, (k) => {
    const id = nextId++;
    pending.set(id, now());
    sockets[k % socketCount].ws.send(`42${id}${frame}`);
  });
  const attackSec = window.elapsedSec();
  const drainUntil = now() + drainMs;
  while (pending.size > 0 && now() < drainUntil) await sleep(50);
  const answeringSec = window.elapsedSec();
  const result = {
    attackSec,
    drainSec: round(answeringSec - attackSec, 1),
    roomSize: spec.params.roomSize,
    sockets: socketCount,
    ratePerSocket,
    sent: loop.sent,
    ok,
    errors,
    unansweredAfterDrain: pending.size,
    ackP50Ms: percentile(latencies, 50),
    ackP99Ms: percentile(latencies, 99),
    ackMaxMs: latencies.length ? round(Math.max(...latencies)) : null,
    // Size of a successful ack (the room and its whole member list), median.
    ackKiB: sizes.length ? round(percentile(sizes, 50)! / 1024, 1) : null,
    // Joins the server answered per second, from GO until the last answer came (or the drain ended).
    answeredPerSec: round(latencies.length / Math.max(answeringSec, 0.1), 1),
    senderMaxLagMs: loop.maxLagMs,
  };
  for (const s of sockets) s.terminate();
  return result;
}

/** Calls `done(id, bytes, errorCode?)` for an ack frame `43<id>[...]` whose id is pending. */
function onAckFrame(raw: WebSocket.RawData, pending: Map<number, number>, done: (id: number, bytes: number, code?: string) => void): void {
  if (!Buffer.isBuffer(raw) || raw[0] !== 0x34 /* 4 */ || raw[1] !== 0x33 /* 3 */) return;
  const bracket = raw.indexOf(0x5b /* [ */);
  const id = Number(raw.toString('latin1', 2, bracket));
  if (!pending.has(id)) return;
  if (raw.toString('latin1', bracket + 1, bracket + 11) === '{"ok":true') return done(id, raw.length, undefined);
  const ack = (JSON.parse(raw.toString('utf8', bracket)) as [{ error?: { code?: string } }])[0];
  done(id, raw.length, ack.error?.code ?? 'UNKNOWN');
}

// ---- 4. login -----------------------------------------------------------------------------

interface HttpTally {
  statuses: Record<string, number>;
  latencies: number[];
}

/**
 * `ratePerSec` REST requests (open loop, keep-alive off): of every 4, 2 register a fresh
 * username, 1 logs in with the right password and 1 with a wrong one. Every request carries
 * X-Forwarded-For: a new address each (`many`; the server runs with TRUST_PROXY=loopback) or one
 * fixed address (`single`).
 */
async function login(spec: StressSpec, users: BenchUser[], window: Window, ready: () => Promise<void>): Promise<Result> {
  const { ratePerSec, drainMs, timeoutMs } = spec.params;
  const user = users[0];
  const password = spec.password!;
  const tallies: Record<'register' | 'login', HttpTally> = {
    register: { statuses: {}, latencies: [] },
    login: { statuses: {}, latencies: [] },
  };
  const inFlight = new Set<ReturnType<typeof request>>();
  await ready();

  const loop = await openLoop(window, ratePerSec, (k) => {
    const address = spec.addresses === 'single' ? '203.0.113.7' : `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
    const kind = k % 4 === 0 || k % 4 === 2 ? 'register' : 'login';
    const body =
      kind === 'register'
        ? { username: `flood_${spec.addresses === 'single' ? 's' : 'm'}_${k}`, password }
        : { username: user.username, password: k % 4 === 1 ? password : 'wrong-password-1' };
    postJson(spec.url, `/auth/${kind}`, body, address, timeoutMs, tallies[kind], inFlight);
  });
  const attackSec = window.elapsedSec();
  const drainUntil = now() + drainMs;
  while (inFlight.size > 0 && now() < drainUntil) await sleep(50);
  const drainSec = round(window.elapsedSec() - attackSec, 1);
  const unfinished = inFlight.size;
  for (const req of inFlight) req.destroy();
  const summary = (t: HttpTally) => ({ statuses: t.statuses, p50Ms: percentile(t.latencies, 50), p99Ms: percentile(t.latencies, 99) });
  return {
    attackSec,
    drainSec,
    addresses: spec.addresses,
    ratePerSec,
    sent: loop.sent,
    unfinishedAfterDrain: unfinished,
    register: summary(tallies.register),
    login: summary(tallies.login),
    registered: tallies.register.statuses['201'] ?? 0,
    senderMaxLagMs: loop.maxLagMs,
  };
}

function postJson(
  url: string,
  path: string,
  body: unknown,
  forwardedFor: string,
  timeoutMs: number,
  tally: HttpTally,
  inFlight: Set<ReturnType<typeof request>>,
): void {
  const data = JSON.stringify(body);
  const started = now();
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(data)),
    'x-forwarded-for': forwardedFor,
  };
  const req = request(`${url}${path}`, { method: 'POST', agent: false, headers }, (res: IncomingMessage) => {
    res.resume();
    res.on('end', () => {
      inFlight.delete(req);
      tally.latencies.push(now() - started);
      count(tally.statuses, String(res.statusCode ?? 0));
    });
  });
  inFlight.add(req);
  req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
  req.on('error', (error: NodeJS.ErrnoException) => {
    if (!inFlight.delete(req)) return; // destroyed after the drain: counted as unfinished
    count(tally.statuses, error.message === 'timeout' ? 'timeout' : (error.code ?? 'error'));
  });
  req.end(data);
}

// ---- main ---------------------------------------------------------------------------------

const attacks = { stall, pong, roomjoin, login };

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as StressSpec;
  const users = JSON.parse(readFileSync(spec.usersFile, 'utf8')) as BenchUser[];
  const window = new Window(spec.params.durationMs);
  let go!: () => void;
  const started = new Promise<void>((r) => (go = r));
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'GO') go();
    if (line.trim() === 'STOP') window.close();
  });
  const ready = async () => {
    process.stdout.write('READY\n');
    await started;
    window.open();
  };
  const cpu0 = process.cpuUsage();
  const t0 = now();
  let result: Result;
  try {
    result = await attacks[spec.attack](spec, users, window, ready);
  } catch (error) {
    result = { error: (error as Error).message ?? String(error) };
  }
  // Near 100 % means the client, not the server, limited the attack.
  const cpu = process.cpuUsage(cpu0);
  result.loadCpuPct = round(((cpu.user + cpu.system) / 1000 / (now() - t0)) * 100, 0);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  setTimeout(() => process.exit(0), 100);
}

if (require.main === module) void main();
