/**
 * Load generator: runs ONE scenario against ONE server and prints `RESULT <json>` on stdout.
 * Started by run.ts (pinned to its own core) as `node bench/dist/load.js '<json spec>'`.
 * Every phase is bounded by a timeout; the process exits by itself.
 *
 * A server may be several instances (`--instances=N`): socket i goes to `urls[i mod N]`, and what
 * the probes report (CPU, frames, memory) is summed over `probeUrls`.
 */
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { performance } from 'node:perf_hooks';
import { connect, type Ack, type WireSocket } from './wire-client';

export interface BenchUser {
  id: string;
  username: string;
  token: string;
}

export interface LoadSpec {
  scenario: 'compat' | 'handshake' | 'dm' | 'fanout' | 'memory' | 'presence';
  /** `urls[0]` (the compat check's only socket goes there). */
  url: string;
  /** Every instance of the server; socket i of a scenario connects to `urls[i % urls.length]`. */
  urls: string[];
  /** `probeUrls[0]`. */
  probeUrl: string;
  /** The memory probe of every instance, in the order of `urls`. */
  probeUrls: string[];
  usersFile: string;
  params: Record<string, number>;
  /** fanout: a room that already has users[0..roomSize) as members (set up by run.ts). */
  roomId?: string;
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function percentile(values: ArrayLike<number>, p: number): number | null {
  const sorted = Float64Array.from(Array.prototype.filter.call(values, (v: number) => !Number.isNaN(v)) as number[]).sort();
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[index]);
}
export const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

export function fetchJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as T);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

interface MemSample {
  gc: boolean;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}
interface StatsSample {
  cpu: { user: number; system: number };
  frames: number;
  frameBytes: number;
}

/** `/mem` of every instance (each runs its gc() first): the per-instance samples and their sum. */
async function memSum(spec: LoadSpec): Promise<{ each: MemSample[]; sum: MemSample }> {
  const each = await Promise.all(spec.probeUrls.map((u) => fetchJson<MemSample>(`${u}/mem`)));
  const total = (key: 'rss' | 'heapUsed' | 'heapTotal' | 'external' | 'arrayBuffers') => each.reduce((a, m) => a + m[key], 0);
  return {
    each,
    sum: {
      gc: each.every((m) => m.gc),
      rss: total('rss'),
      heapUsed: total('heapUsed'),
      heapTotal: total('heapTotal'),
      external: total('external'),
      arrayBuffers: total('arrayBuffers'),
    },
  };
}

/** `/stats` of every instance: the per-instance samples and their sum. */
async function statsSum(spec: LoadSpec): Promise<{ each: StatsSample[]; sum: StatsSample }> {
  const each = await Promise.all(spec.probeUrls.map((u) => fetchJson<StatsSample>(`${u}/stats`)));
  const total = (f: (s: StatsSample) => number) => each.reduce((a, s) => a + f(s), 0);
  return {
    each,
    sum: {
      cpu: { user: total((s) => s.cpu.user), system: total((s) => s.cpu.system) },
      frames: total((s) => s.frames),
      frameBytes: total((s) => s.frameBytes),
    },
  };
}

/** Server CPU (µs, summed over the instances) between two `/stats` samples, per event. */
/** The servers' stats once a quarter second passes in which they used under 2 % of a core (at most 30 s). */
async function settled(spec: LoadSpec): Promise<StatsSample> {
  const cpu = (x: StatsSample) => x.cpu.user + x.cpu.system;
  let last = (await statsSum(spec)).sum;
  for (let i = 0; i < 120; i++) {
    await sleep(250);
    const now = (await statsSum(spec)).sum;
    if (cpu(now) - cpu(last) < 5000) return now;
    last = now;
  }
  return last;
}

function cpuPerEventUs(s0: StatsSample, s1: StatsSample, events: number): number | null {
  if (!events) return null;
  return round((s1.cpu.user + s1.cpu.system - s0.cpu.user - s0.cpu.system) / events, 0);
}

/** Sockets connected per instance in this run (reported as `connectedPerInstance` when there are several). */
const connectedPerInstance: number[] = [];
/** The instance (index into `spec.urls`) of the scenario's socket `i`: round-robin. */
const instanceOf = (spec: LoadSpec, i: number) => i % spec.urls.length;
/** Connects socket `i` of a scenario to its instance. */
async function connectTo(spec: LoadSpec, i: number, token: string): Promise<WireSocket> {
  const instance = instanceOf(spec, i);
  const socket = await connect({ url: spec.urls[instance], auth: { token } });
  connectedPerInstance[instance] = (connectedPerInstance[instance] ?? 0) + 1;
  return socket;
}

/** Runs `fn(i)` for i in [0, count) with at most `concurrency` in flight. */
async function pool(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

interface Connected {
  sockets: WireSocket[];
  failed: number;
  errors: Record<string, number>;
  latencies: number[];
  elapsedMs: number;
}

/** Connects users[0..count) (one socket each, cycling when there are fewer users), socket i to instance i mod N. */
async function connectUsers(spec: LoadSpec, users: BenchUser[], count: number, concurrency: number): Promise<Connected> {
  const sockets = new Array<WireSocket>(count);
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let failed = 0;
  const start = now();
  await pool(count, concurrency, async (i) => {
    const t = now();
    try {
      sockets[i] = await connectTo(spec, i, users[i % users.length].token);
      latencies.push(now() - t);
    } catch (error) {
      failed++;
      const key = (error as Error).message || 'error';
      errors[key] = (errors[key] ?? 0) + 1;
    }
  });
  return { sockets, failed, errors, latencies, elapsedMs: now() - start };
}

function closeAll(sockets: (WireSocket | undefined)[]): void {
  for (const s of sockets) s?.terminate();
}

function countError(errors: Record<string, number>, ack: Ack): void {
  if (ack.ok) return;
  errors[ack.error.code] = (errors[ack.error.code] ?? 0) + 1;
}

function requireAll(c: Connected, what: string): void {
  if (c.failed > 0) throw new Error(`${c.failed} of ${c.sockets.length} ${what} connections failed: ${JSON.stringify(c.errors)}`);
}

function unsupported(errors: Record<string, number>, event: string): void {
  if (errors.NOT_FOUND) throw new Error(`${event} answered NOT_FOUND (${errors.NOT_FOUND}x): not implemented on this server`);
}

// ---- scenarios -----------------------------------------------------------------------------

/** One socket through the real socket.io-client: both servers must speak the protocol it speaks. */
async function compat(spec: LoadSpec, users: BenchUser[]) {
  const { io } = await import('socket.io-client');
  const socket = io(spec.url, { auth: { token: users[0].token }, transports: ['websocket'], reconnection: false, timeout: 10_000 });
  try {
    const session = await new Promise<{ sessionId: string }>((resolve, reject) => {
      socket.once('session', resolve);
      socket.once('connect_error', reject);
      setTimeout(() => reject(new Error('no session event within 10 s')), 10_000);
    });
    const unknown = (await socket.timeout(10_000).emitWithAck('bench:unknown-event', {})) as Ack;
    if (unknown.ok || unknown.error.code !== 'NOT_FOUND') throw new Error(`unknown event answered ${JSON.stringify(unknown)}`);
    const dm = (await socket.timeout(10_000).emitWithAck('message:send', { to: users[1].id, content: 'compat' })) as Ack;
    return { session: typeof session.sessionId === 'string', unknownEvent: unknown.error.code, messageSend: dm.ok ? 'ok' : dm.error.code };
  } finally {
    socket.disconnect();
  }
}

/**
 * `connects` JWT handshakes, `concurrency` at a time; a handshake ends when `session` arrives.
 * Server CPU per handshake: from before the first connect until the last `session`. Then every
 * socket is closed at once; server CPU per disconnect: from the closes until the servers are idle
 * again after the presence grace period (`graceMs`), so each user's going offline is included.
 */
async function handshake(spec: LoadSpec, users: BenchUser[]) {
  const { connects, concurrency, graceMs } = spec.params;
  const s0 = await statsSum(spec);
  const c = await connectUsers(spec, users, connects, concurrency);
  const s1 = await statsSum(spec);
  closeAll(c.sockets);
  await sleep(graceMs);
  const s2 = await settled(spec);
  const ok = connects - c.failed;
  return {
    perSec: round((ok / c.elapsedMs) * 1000, 0),
    cpuPerHandshakeUs: cpuPerEventUs(s0.sum, s1.sum, ok),
    cpuPerDisconnectUs: cpuPerEventUs(s1.sum, s2, ok),
    ok,
    failed: c.failed,
    errors: c.errors,
    elapsedMs: round(c.elapsedMs, 0),
    latencyP50Ms: percentile(c.latencies, 50),
    latencyP99Ms: percentile(c.latencies, 99),
  };
}

/** The recipient (an index into users[0..n)) of DM k, sent by user k mod n: a rotating other user. */
function dmRecipientIndex(k: number, n: number): number {
  const i = k % n;
  const offset = 1 + (Math.floor(k / n) % (n - 1));
  return (i + offset) % n;
}

/** DM k's `message:send` payload, from user k mod n to `dmRecipientIndex(k, n)`. */
const dmPayload = (users: BenchUser[], n: number, k: number, content: string) => ({ to: users[dmRecipientIndex(k, n)].id, content });

/** Warm-up (not measured): the first messages pay for JIT compilation and statement caches. */
async function warmUpDms(sockets: WireSocket[], users: BenchUser[], n: number): Promise<void> {
  const warmErrors: Record<string, number> = {};
  await pool(Math.min(500, n * 2), 50, async (k) => {
    countError(warmErrors, await sockets[k % n].emitWithAck('message:send', dmPayload(users, n, k, `W${k}`), 10_000));
  });
  unsupported(warmErrors, 'message:send');
  if (Object.keys(warmErrors).length) throw new Error(`warm-up message:send failed: ${JSON.stringify(warmErrors)}`);
}

interface DmLoop {
  /** Acks, successful or not. */
  acked: number;
  /** Successful acks within the window (all of them when the loop is bounded by a count). */
  ok: number;
  errors: Record<string, number>;
  ackLatencies: number[];
  /** From the first send until the last ack. */
  elapsedMs: number;
}

/**
 * Closed loop of DMs: `inflight` sends outstanding, message k from socket k mod n with content
 * `<tag>k`, a new send per ack, until `stop.ms` passed (acks after it are not counted as ok) or
 * `stop.count` messages were sent; resolves once every outstanding one is acked.
 */
async function dmClosedLoop(
  sockets: WireSocket[],
  users: BenchUser[],
  n: number,
  tag: string,
  inflight: number,
  stop: { ms: number } | { count: number },
): Promise<DmLoop> {
  let sent = 0;
  let ok = 0;
  let outstanding = 0;
  let acked = 0;
  let lastAck = 0;
  const errors: Record<string, number> = {};
  const ackLatencies: number[] = [];
  const max = 'count' in stop ? stop.count : Infinity;
  const start = now();
  const end = 'ms' in stop ? start + stop.ms : Infinity;
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    const sendOne = () => {
      const k = sent++;
      const t = now();
      outstanding++;
      sockets[k % n].emit('message:send', dmPayload(users, n, k, `${tag}${k}`), (ack) => {
        outstanding--;
        acked++;
        const at = now();
        lastAck = at;
        if (ack.ok && at <= end) {
          ok++;
          ackLatencies.push(at - t);
        } else countError(errors, ack);
        if (at < end && sent < max) sendOne();
        else if (outstanding === 0) resolve();
      });
    };
    for (let i = 0; i < Math.min(inflight, max); i++) sendOne();
    timer = setTimeout(resolve, ('ms' in stop ? stop.ms : 30_000) + 15_000);
  });
  clearTimeout(timer);
  return { acked, ok, errors, ackLatencies, elapsedMs: lastAck - start };
}

/**
 * Direct messages among `users` connected users.
 * Phase 1 (latency): open loop at `rate` msg/s for `durationMs`; message k is due at
 *   t0 + k/rate and its ack and delivery latencies are measured from that due time, so a
 *   server (or client) that falls behind is charged for the wait (no coordinated omission).
 * Phase 2 (throughput): closed loop with `inflight` sends outstanding for `throughputMs`;
 *   persisted/s = successful acks (a message is stored before its ack) per second; server CPU
 *   per DM = the servers' CPU from the phase's first send until its last ack / the acks.
 */
async function dm(spec: LoadSpec, users: BenchUser[]) {
  const { users: n, rate, durationMs, inflight, throughputMs } = spec.params;
  if (users.length < n) throw new Error(`need ${n} users`);
  const c = await connectUsers(spec, users, n, 100);
  try {
    requireAll(c, 'dm');
    const sockets = c.sockets;
    // Several instances: message k crosses them when its sender's socket and its recipient's are on different ones.
    const crosses = (k: number) => instanceOf(spec, k % n) !== instanceOf(spec, dmRecipientIndex(k, n));
    let crossDelivered = 0;

    // Deliveries: parse only message:new frames.
    let t0 = 0;
    let latencyDeliveries = 0;
    let throughputDeliveries = 0;
    let measuring = false;
    let deliveryLat = new Float64Array(0);
    for (const s of sockets) {
      s.onRaw = (frame) => {
        if (!frame.startsWith('42["message:new"')) return true;
        const content = (JSON.parse(frame.slice(2)) as [string, { content: string }])[1].content;
        if (content.charCodeAt(0) === 76 /* L */) {
          const k = Number(content.slice(1));
          deliveryLat[k] = now() - (t0 + (k * 1000) / rate);
          latencyDeliveries++;
          if (crosses(k)) crossDelivered++;
        } else if (content.charCodeAt(0) === 84 /* T */ && measuring) {
          throughputDeliveries++;
        }
        return true;
      };
    }

    await warmUpDms(sockets, users, n);
    await sleep(200);

    // Phase 1: open loop.
    const total = Math.max(1, Math.round((rate * durationMs) / 1000));
    const ackLat = new Float64Array(total).fill(NaN);
    deliveryLat = new Float64Array(total).fill(NaN);
    const errors: Record<string, number> = {};
    let acked = 0;
    let maxLagMs = 0;
    t0 = now() + 20;
    await new Promise<void>((resolve) => {
      let k = 0;
      const tick = () => {
        const t = now();
        while (k < total && t0 + (k * 1000) / rate <= t) {
          const due = t0 + (k * 1000) / rate;
          maxLagMs = Math.max(maxLagMs, t - due);
          const index = k;
          sockets[k % n].emit('message:send', dmPayload(users, n, k, `L${k}`), (ack) => {
            if (ack.ok) ackLat[index] = now() - due;
            else countError(errors, ack);
            acked++;
          });
          k++;
        }
        if (k < total) setTimeout(tick, 1);
        else resolve();
      };
      setTimeout(tick, 20);
    });
    const drainUntil = now() + 10_000;
    while ((acked < total || latencyDeliveries < total - (total - acked)) && now() < drainUntil) await sleep(20);
    await sleep(100);

    // Phase 2: closed loop.
    const s0 = await statsSum(spec);
    measuring = true;
    const loop = await dmClosedLoop(sockets, users, n, 'T', inflight, { ms: throughputMs });
    const s1 = await statsSum(spec);
    const deliveriesInWindow = throughputDeliveries;
    measuring = false;

    return {
      rate,
      sent: total,
      acked,
      ackOk: ackLat.filter((v) => !Number.isNaN(v)).length,
      delivered: latencyDeliveries,
      errors,
      senderMaxLagMs: round(maxLagMs),
      ackP50Ms: percentile(ackLat, 50),
      ackP99Ms: percentile(ackLat, 99),
      deliveryP50Ms: percentile(deliveryLat, 50),
      deliveryP99Ms: percentile(deliveryLat, 99),
      persistedPerSec: round((loop.ok / throughputMs) * 1000, 0),
      deliveriesPerSec: round((deliveriesInWindow / throughputMs) * 1000, 0),
      throughputInflight: inflight,
      throughputErrors: loop.errors,
      throughputAckP50Ms: percentile(loop.ackLatencies, 50),
      throughputAckP99Ms: percentile(loop.ackLatencies, 99),
      cpuPerDmUs: cpuPerEventUs(s0.sum, s1.sum, loop.acked),
      // Open-loop messages whose recipient is on another instance than the sender, and how many arrived.
      ...(spec.urls.length > 1
        ? {
            crossInstanceSent: Array.from({ length: total }, (_, k) => crosses(k)).filter(Boolean).length,
            crossInstanceDelivered: crossDelivered,
          }
        : {}),
    };
  } finally {
    closeAll(c.sockets);
  }
}

/** room:create with as many members as allowed at once (100), then room:join for the rest. */
async function createRoom(sockets: WireSocket[], users: BenchUser[], roomSize: number): Promise<string> {
  const owner = sockets[0];
  let initial = roomSize - 1;
  for (;;) {
    const ack = await owner.emitWithAck('room:create', {
      name: 'bench-room',
      visibility: 'public',
      members: users.slice(1, 1 + initial).map((u) => u.id),
    });
    if (!ack.ok && ack.error.code === 'NOT_FOUND') throw new Error('room:create answered NOT_FOUND: not implemented on this server');
    if (!ack.ok && initial > 99) {
      initial = 99;
      continue;
    }
    if (!ack.ok) throw new Error(`room:create failed: ${JSON.stringify(ack.error)}`);
    const roomId = (ack.data as { id: string }).id;
    const joinErrors: Record<string, number> = {};
    await pool(roomSize - 1 - initial, 20, async (i) =>
      countError(joinErrors, await sockets[i + 1 + initial].emitWithAck('room:join', { roomId })),
    );
    if (Object.keys(joinErrors).length) throw new Error(`room:join failed: ${JSON.stringify(joinErrors)}`);
    return roomId;
  }
}

/**
 * Room fan-out: `roomSize` members in one room (room:create with `members`, falling back to
 * room:join), then `messages` room messages from `senders` members, `window` outstanding;
 * deliveries/s = message:new frames received by members / time from first send to last delivery.
 */
async function fanout(spec: LoadSpec, users: BenchUser[]) {
  const { roomSize, messages, senders, window } = spec.params;
  if (users.length < roomSize) throw new Error(`need ${roomSize} users`);
  const c = await connectUsers(spec, users, roomSize, 100);
  try {
    requireAll(c, 'fanout');
    const sockets = c.sockets;
    const roomId = spec.roomId ?? (await createRoom(sockets, users, roomSize));
    const setup = spec.roomId ? 'room and members inserted in the database; sockets joined on connect' : 'room:create (+ room:join)';
    await sleep(1000); // let membership joins and events settle

    let delivered = 0;
    let lastDelivery = 0;
    for (const s of sockets) {
      s.onRaw = (frame) => {
        if (frame.startsWith('42["message:new"')) {
          delivered++;
          lastDelivery = now();
        }
        return true;
      };
    }
    // Warm-up round (not measured).
    const warmErrors: Record<string, number> = {};
    for (let i = 0; i < Math.min(5, messages); i++) {
      countError(warmErrors, await sockets[i % senders].emitWithAck('message:send', { roomId, content: `W${i}` }));
    }
    if (Object.keys(warmErrors).length) throw new Error(`room message:send failed: ${JSON.stringify(warmErrors)}`);
    const expectedPerMessage = roomSize - 1;
    const warmExpected = Math.min(5, messages) * expectedPerMessage;
    const warmUntil = now() + 10_000;
    while (delivered < warmExpected && now() < warmUntil) await sleep(10);
    delivered = 0;

    const errors: Record<string, number> = {};
    const expected = messages * expectedPerMessage;
    const start = now();
    let sent = 0;
    await new Promise<void>((resolve) => {
      let outstanding = 0;
      const sendOne = () => {
        const k = sent++;
        outstanding++;
        sockets[k % senders].emit('message:send', { roomId, content: `F${k}` }, (a) => {
          outstanding--;
          countError(errors, a);
          if (sent < messages) sendOne();
          else if (outstanding === 0) resolve();
        });
      };
      for (let i = 0; i < Math.min(window, messages); i++) sendOne();
      setTimeout(resolve, 60_000);
    });
    const until = now() + 30_000;
    while (delivered < expected && now() < until) await sleep(5);
    const elapsed = lastDelivery - start;
    return {
      setup,
      roomSize,
      messages,
      expected,
      delivered,
      errors,
      elapsedMs: round(elapsed, 0),
      deliveriesPerSec: round((delivered / elapsed) * 1000, 0),
    };
  } finally {
    closeAll(c.sockets);
  }
}

/**
 * Memory per idle authenticated connection: (after − before) / connections, both after gc().
 * With `probes` (run.ts `--scale-probes`), `scaleProbes` then runs on the connections still held.
 */
async function memory(spec: LoadSpec, users: BenchUser[]) {
  const { conns, probes } = spec.params;
  const { each: beforeEach, sum: before } = await memSum(spec);
  if (!before.gc) throw new Error('server not started with --expose-gc');
  const s0 = probes ? await statsSum(spec) : undefined;
  const c = await connectUsers(spec, users, conns, 100);
  const s1 = probes ? await statsSum(spec) : undefined;
  try {
    await sleep(1000);
    const { each: afterEach, sum: after } = await memSum(spec);
    const ok = conns - c.failed;
    const result = {
      conns: ok,
      failed: c.failed,
      errors: c.errors,
      /** Handshakes per second while connecting them (100 in flight). */
      connectPerSec: round(ok / (c.elapsedMs / 1000)),
      heapPerConnKB: round((after.heapUsed - before.heapUsed) / ok / 1024),
      rssPerConnKB: round((after.rss - before.rss) / ok / 1024),
      externalPerConnKB: round((after.external - before.external) / ok / 1024),
      beforeRssMB: round(before.rss / 2 ** 20, 1),
      afterRssMB: round(after.rss / 2 ** 20, 1),
      beforeHeapMB: round(before.heapUsed / 2 ** 20, 1),
      afterHeapMB: round(after.heapUsed / 2 ** 20, 1),
      /** RSS with 10,000 such connections, extrapolated linearly from this run (all instances together). */
      projectedRss10kMB: round((before.rss + ((after.rss - before.rss) / ok) * 10_000) / 2 ** 20, 0),
      ...(spec.urls.length > 1
        ? {
            perInstanceHeapDeltaMB: afterEach.map((a, i) => round((a.heapUsed - beforeEach[i].heapUsed) / 2 ** 20, 1)),
            perInstanceRssDeltaMB: afterEach.map((a, i) => round((a.rss - beforeEach[i].rss) / 2 ** 20, 1)),
          }
        : {}),
    };
    if (!probes || !s0 || !s1) return result;
    // The probes add to serverCpuSecWholeScenario: the handshakes' own CPU, measured like the handshake scenario's.
    const connectCpuPerHandshakeUs = cpuPerEventUs(s0.sum, s1.sum, ok);
    let measured: Record<string, unknown>;
    try {
      measured = await scaleProbes(spec, users, c.sockets);
    } catch (error) {
      measured = { probeError: (error as Error).message ?? String(error) };
    }
    return { ...result, connectCpuPerHandshakeUs, ...measured };
  } finally {
    closeAll(c.sockets);
  }
}

/** Server CPU (µs, summed over the instances) between two `/stats` samples. */
const cpuBetween = (s0: StatsSample, s1: StatsSample) => s1.cpu.user + s1.cpu.system - s0.cpu.user - s0.cpu.system;

/** The load generator's CPU since `cpu0` as % of its core over `wallMs`: near 100 means the probe was client-bound. */
function loadCpuPct(cpu0: NodeJS.CpuUsage, wallMs: number): number {
  const cpu = process.cpuUsage(cpu0);
  return round(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 0);
}

/**
 * The memory scenario's probes (`probes`), on the N connections it holds idle, after its memory
 * snapshot. Their work is fixed, the same whatever N, so a per-event cost that grows with the
 * number of connections shows up as such:
 *
 * - idle: the servers' CPU over 2 s with nothing but the N connections (heartbeats, timers), as %
 *   of a core. The `...NetUs` figures below take this rate times the probe's wall time off.
 * - DM probe: the dm scenario's warm-up (not measured) then `probeDms` DMs among the first
 *   `probeDmUsers` connected users, closed loop with `probeInflight` outstanding (the dm
 *   scenario's payloads and loop); server CPU per DM from before the first send until the last ack.
 * - presence probe: sockets [0, W) (W = `probeWatchers`) each `presence:subscribe` to the users
 *   of sockets [W, W+M) (M = `probeWatched`), not measured. Then cycles of M users: their sockets
 *   close, and once they are offline (the grace period + 1.5 s, and every expected offline update
 *   received + 300 ms without one) a fresh socket connects for each (online: 1 s, and every
 *   expected online update + 300 ms). An unmeasured cycle of the unwatched users [W+M, W+2M)
 *   (JIT warm-up), a measured one of them (no updates to send) and one of the watched users
 *   (W × M offline and W × M online updates). Per update: (watched − unwatched cycle CPU, each
 *   net of idle) / updates received; per change (a user going offline or coming online, its
 *   disconnect or handshake included): a cycle's CPU / 2M.
 */
async function scaleProbes(spec: LoadSpec, users: BenchUser[], sockets: WireSocket[]): Promise<Record<string, unknown>> {
  const { probeDms, probeDmUsers: n, probeInflight, probeWatchers: w, probeWatched: m, graceMs } = spec.params;
  const needed = Math.max(n, w + 2 * m);
  const missing = Array.from({ length: needed }, (_, i) => i).filter((i) => !sockets[i] || sockets[i].closed).length;
  if (missing) throw new Error(`the probes use the first ${needed} connections; ${missing} of them are not connected`);

  // Idle: what the N connections cost by themselves (after the snapshot's gc() has settled).
  await sleep(500);
  const i0 = await statsSum(spec);
  const idleStart = now();
  await sleep(2000);
  const i1 = await statsSum(spec);
  /** Server CPU µs per ms of wall time while idle. */
  const idleRate = cpuBetween(i0.sum, i1.sum) / (now() - idleStart);
  const net = (s0: StatsSample, s1: StatsSample, wallMs: number, events: number) =>
    events ? round((cpuBetween(s0, s1) - idleRate * wallMs) / events, 0) : null;

  // DM probe.
  const dmSockets = sockets.slice(0, n);
  let delivered = 0;
  for (const s of dmSockets)
    s.onRaw = (frame) => {
      if (frame.startsWith('42["message:new"')) delivered++;
      return true;
    };
  await warmUpDms(dmSockets, users, n);
  await sleep(200);
  delivered = 0;
  const d0 = await statsSum(spec);
  const dmLoad0 = process.cpuUsage();
  const dmStart = now();
  const loop = await dmClosedLoop(dmSockets, users, n, 'P', probeInflight, { count: probeDms });
  const d1 = await statsSum(spec);
  const dmWallMs = now() - dmStart;
  const dmLoadCpuPct = loadCpuPct(dmLoad0, dmWallMs);
  const deliveredBy = now() + 5000;
  while (delivered < loop.ok && now() < deliveredBy) await sleep(10);

  // Presence probe: W watchers subscribe to the M watched users; M other users are watched by nobody.
  const watchers = sockets.slice(0, w);
  const watched = Array.from({ length: m }, (_, j) => w + j);
  const unwatched = Array.from({ length: m }, (_, j) => w + m + j);
  const watchedIds = watched.map((i) => users[i].id);
  let offline = 0;
  let online = 0;
  let lastUpdate = 0;
  for (const s of watchers)
    s.onRaw = (frame) => {
      if (frame.startsWith('42["presence:update"')) {
        lastUpdate = now();
        if (frame.includes('"status":"offline"')) offline++;
        else online++;
      }
      return true;
    };
  const subscribeErrors: Record<string, number> = {};
  let ackOnline = 0;
  await Promise.all(
    watchers.map(async (s) => {
      const ack = await s.emitWithAck('presence:subscribe', { userIds: watchedIds }, 30_000);
      countError(subscribeErrors, ack);
      if (ack.ok) ackOnline += (ack.data as { users?: { status?: string }[] }).users?.filter((u) => u.status === 'online').length ?? 0;
    }),
  );
  unsupported(subscribeErrors, 'presence:subscribe');
  if (Object.keys(subscribeErrors).length) throw new Error(`presence:subscribe failed: ${JSON.stringify(subscribeErrors)}`);
  await sleep(200);

  /** Until `count()` reaches `expected` (at most `maxMs`), then 300 ms without an update (at most 5 s), and not before `notBefore`. */
  const updatesIn = async (count: () => number, expected: number, notBefore: number, maxMs: number) => {
    const until = now() + maxMs;
    while (count() < expected && now() < until) await sleep(10);
    const quietBy = now() + 5000;
    while (now() - lastUpdate < 300 && now() < quietBy) await sleep(20);
    await sleep(Math.max(0, notBefore - now()));
  };
  const reconnectErrors: Record<string, number> = {};
  /**
   * One cycle, measured: the sockets at `indices` close; once their users are offline (the grace
   * period + 1.5 s, and every expected offline update in), a fresh socket connects for each, all at
   * once; once they are online (1 s, and every expected online update in), the servers' CPU.
   */
  const cycle = async (indices: number[], expected: number) => {
    offline = 0;
    online = 0;
    let failed = 0;
    const s0 = await statsSum(spec);
    const load0 = process.cpuUsage();
    const start = now();
    for (const i of indices) sockets[i].terminate();
    await updatesIn(() => offline, expected, start + graceMs + 1500, graceMs + 15_000);
    // Not through connectTo: these are not connections of the scenario (connectedPerInstance).
    await pool(indices.length, indices.length, async (j) => {
      const i = indices[j];
      try {
        sockets[i] = await connect({ url: spec.urls[instanceOf(spec, i)], auth: { token: users[i].token } });
      } catch (error) {
        failed++;
        const key = (error as Error).message || 'error';
        reconnectErrors[key] = (reconnectErrors[key] ?? 0) + 1;
      }
    });
    await updatesIn(() => online, expected, now() + 1000, 15_000);
    const s1 = await statsSum(spec);
    const wallMs = now() - start;
    const cpu = cpuBetween(s0.sum, s1.sum);
    return {
      cpu,
      /** CPU less the idle rate over the cycle's wall time. */
      netCpu: cpu - idleRate * wallMs,
      frames: s1.sum.frames - s0.sum.frames,
      wallMs,
      offline,
      online,
      failed,
      /** Users going offline plus users coming online again. */
      changes: indices.length * 2 - failed,
      loadCpuPct: loadCpuPct(load0, wallMs),
    };
  };
  // Not measured: the process's first disconnects and offline decisions pay for JIT compilation.
  const warm = await cycle(unwatched, 0);
  const control = await cycle(unwatched, 0);
  const probe = await cycle(watched, w * m);
  const updates = probe.offline + probe.online;
  const perChange = (c: typeof probe, cpu: number) => (c.changes ? round(cpu / c.changes, 0) : null);

  return {
    idleCpuPct: round(idleRate / 10, 2),
    dmProbeSent: loop.acked,
    dmProbeOk: loop.ok,
    dmProbeDelivered: delivered,
    dmProbeErrors: loop.errors,
    dmProbePerSec: round((loop.ok / loop.elapsedMs) * 1000, 0),
    dmProbeAckP50Ms: percentile(loop.ackLatencies, 50),
    dmProbeAckP99Ms: percentile(loop.ackLatencies, 99),
    dmProbeCpuPerDmUs: cpuPerEventUs(d0.sum, d1.sum, loop.acked),
    dmProbeCpuPerDmNetUs: net(d0.sum, d1.sum, dmWallMs, loop.acked),
    dmProbeLoadCpuPct: dmLoadCpuPct,
    presenceProbeWatchers: w,
    presenceProbeWatched: m,
    /** Watched users the subscribe acks reported online: W × M when the server saw them all connected. */
    presenceProbeSubscribeAckOnline: ackOnline,
    presenceProbeExpectedUpdates: 2 * w * m,
    presenceProbeOfflineUpdates: probe.offline,
    presenceProbeOnlineUpdates: probe.online,
    presenceProbeUpdates: updates,
    /** Updates the watchers got during the unwatched cycles: 0 expected. */
    presenceProbeUnwatchedUpdates: warm.offline + warm.online + control.offline + control.online,
    presenceProbeReconnectFailed: warm.failed + control.failed + probe.failed,
    presenceProbeReconnectErrors: reconnectErrors,
    presenceProbeServerFrames: probe.frames,
    presenceProbeUnwatchedServerFrames: control.frames,
    /** The watched cycle's CPU less the unwatched one's (both net of idle) per update received: the cost of delivering them. */
    presenceProbeCpuPerUpdateUs: updates ? round((probe.netCpu - control.netCpu) / updates, 1) : null,
    presenceProbeCpuPerChangeUs: perChange(probe, probe.cpu),
    presenceProbeCpuPerChangeNetUs: perChange(probe, probe.netCpu),
    presenceProbeUnwatchedCpuPerChangeUs: perChange(control, control.cpu),
    presenceProbeUnwatchedCpuPerChangeNetUs: perChange(control, control.netCpu),
    presenceProbeElapsedMs: round(probe.wallMs, 0),
    presenceProbeUnwatchedElapsedMs: round(control.wallMs, 0),
    presenceProbeLoadCpuPct: probe.loadCpuPct,
  };
}

/**
 * Presence storm: `users` users connect spread evenly over `windowMs`; user i subscribes to
 * users i+1..i+watch (mod users) right after its `session`. Server CPU seconds and frames written
 * (probe) from before the first connect until 1 s without any frame at the clients.
 */
async function presence(spec: LoadSpec, users: BenchUser[]) {
  const { users: n, watch, windowMs } = spec.params;
  if (users.length < n) throw new Error(`need ${n} users`);
  const sockets = new Array<WireSocket | undefined>(n);
  const errors: Record<string, number> = {};
  const connectErrors: Record<string, number> = {};
  let updates = 0;
  let lastFrame = now();
  let acked = 0;
  let ackOnline = 0;
  let failed = 0;
  const { each: s0Each, sum: s0 } = await statsSum(spec);
  const start = now();
  try {
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        sleep((i * windowMs) / n).then(async () => {
          try {
            const s = await connectTo(spec, i, users[i].token);
            sockets[i] = s;
            lastFrame = now();
            s.onRaw = (frame) => {
              lastFrame = now();
              if (frame.startsWith('42["presence:update"')) updates++;
              return true;
            };
            const userIds = Array.from({ length: watch }, (_, j) => users[(i + 1 + j) % n].id);
            const ack = await s.emitWithAck('presence:subscribe', { userIds }, 30_000);
            lastFrame = now();
            countError(errors, ack);
            if (ack.ok)
              ackOnline += (ack.data as { users?: { status?: string }[] }).users?.filter((u) => u.status === 'online').length ?? 0;
            acked++;
          } catch (error) {
            failed++;
            const key = (error as Error).message;
            connectErrors[key] = (connectErrors[key] ?? 0) + 1;
          }
        }),
      ),
    );
    const connectedMs = now() - start;
    const quietUntil = now() + 20_000;
    while (now() - lastFrame < 1000 && now() < quietUntil) await sleep(50);
    const { each: s1Each, sum: s1 } = await statsSum(spec);
    unsupported(errors, 'presence:subscribe');
    const clientFrames = sockets.reduce((sum, s) => sum + (s?.frames ?? 0), 0);
    return {
      users: n,
      watch,
      failed,
      connectErrors,
      subscribeErrors: errors,
      subscribed: acked - Object.values(errors).reduce((a, b) => a + b, 0),
      connectedMs: round(connectedMs, 0),
      cpuSeconds: round((s1.cpu.user + s1.cpu.system - s0.cpu.user - s0.cpu.system) / 1e6, 3),
      serverFrames: s1.frames - s0.frames,
      serverFrameKB: round((s1.frameBytes - s0.frameBytes) / 1024, 0),
      clientFrames,
      presenceUpdates: updates,
      /** Watched users the subscribe ack already reported online: an update that came before the subscription took effect is in here instead. */
      subscribeAckOnline: ackOnline,
      ...(spec.urls.length > 1 ? { perInstanceServerFrames: s1Each.map((s, i) => s.frames - s0Each[i].frames) } : {}),
    };
  } finally {
    closeAll(sockets);
  }
}

// ---- main ----------------------------------------------------------------------------------

const scenarios = { compat, handshake, dm, fanout, memory, presence };

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as LoadSpec;
  // A spec without the lists (one server, one instance) still works.
  spec.urls ??= [spec.url];
  spec.probeUrls ??= [spec.probeUrl];
  const users = JSON.parse(readFileSync(spec.usersFile, 'utf8')) as BenchUser[];
  let result: Record<string, unknown>;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  try {
    result = await scenarios[spec.scenario](spec, users);
  } catch (error) {
    result = { error: (error as Error).message ?? String(error) };
  }
  // The load generator's own CPU use: near 100 % of its core means the client, not the server, limited the run.
  const cpu = process.cpuUsage(cpu0);
  result.loadCpuPct = round(((cpu.user + cpu.system) / 1000 / (now() - t0)) * 100, 0);
  if (spec.urls.length > 1 && spec.scenario !== 'compat')
    result.connectedPerInstance = spec.urls.map((_, i) => connectedPerInstance[i] ?? 0);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  // Sockets were terminated; give the last writes a moment, then leave.
  setTimeout(() => process.exit(0), 100);
}

if (require.main === module) {
  const guard = setTimeout(() => {
    process.stdout.write(`RESULT ${JSON.stringify({ error: 'load generator timed out after 180 s' })}\n`);
    process.exit(2);
  }, 180_000);
  guard.unref();
  void main();
}
