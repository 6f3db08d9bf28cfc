/**
 * `npm run stress`: reproduces availability attacks against the built service (dist/main.js)
 * and reports what they do to it. It measures, it never asserts: the same run gives the
 * "before" numbers now and the "after" numbers once the fixes land (then stalled sockets get
 * disconnected, floods get 429/503, and the tables say so).
 *
 * Each phase: a fresh server (pinned to core 0, its own SQLite file) → users (and the big room)
 * inserted into SQLite → the attack client connects (core 1) → a baseline /health window with
 * no attack → the attack window, with the prober (core 1) and RSS sampled every second → the
 * client leaves → RSS once more → the server stops.
 *
 * Options: --attacks=stall,pong,roomjoin,login  --seconds=N (every attack window; default 30,
 *          stall 60, pong 90)  --stall-seconds=N  --pong-seconds=N  --baseline-seconds=N (3)
 *          --probe-rate=N (per endpoint, 20/s)  --max-rss-mb=N (stop an attack there, 2048)
 *          --quiet-wait-seconds=N (wait for an idle machine before each phase, 60)
 *          --smoke (tiny sizes, a few seconds each)  --out=name  --keep-tmp
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import jwt from 'jsonwebtoken';
import {
  benchDist,
  cores,
  gitCommit,
  httpJson,
  log,
  nodeCommand,
  parseArgs,
  pinned,
  repo,
  sleep,
  startServer,
  stopServer,
  type RunningServer,
} from './harness';
import type { BenchUser } from './load';
import type { ProbeResult, ProbeSpec, ProbeTarget, TargetStats } from './stress-probe';
import type { AttackName, Result, StressSpec } from './stress-load';

const args = parseArgs(process.argv.slice(2));
const smoke = args.has('smoke');
const ALL: AttackName[] = ['stall', 'pong', 'roomjoin', 'login'];
const attacks = (args.get('attacks')?.split(',') as AttackName[] | undefined) ?? ALL;
const outName = args.get('out') ?? (smoke ? 'stress-smoke' : 'stress');
const password = 'stress-password-1';
const baselineSec = Number(args.get('baseline-seconds') ?? (smoke ? 1 : 3));
const probeRate = Number(args.get('probe-rate') ?? 20);
const maxRssMb = Number(args.get('max-rss-mb') ?? 2048);
const quietWaitSec = Number(args.get('quiet-wait-seconds') ?? (smoke ? 0 : 60));
/** A window of `fallback` s unless --<attack>-seconds or --seconds says otherwise; smoke: 2 s. */
const windowSec = (attack: AttackName, fallback: number) =>
  Number(args.get(`${attack}-seconds`) ?? args.get('seconds') ?? (smoke ? 2 : fallback));

/** One server run: an attack, or one variant of it (login from many addresses, from one). */
interface Phase {
  id: string;
  attack: AttackName;
  title: string;
  /** Server environment beyond the common one; documented in the report. */
  env: Record<string, string>;
  params: Record<string, number>;
  /** Users the attack client needs (connected or logged in), minted tokens included. */
  clientUsers: number;
  /** roomjoin: members of the public room (users inserted for it). */
  roomSize?: number;
  addresses?: 'many' | 'single';
  /** /users/me is probed too (the login flood competes with authenticated REST). */
  probeMe?: boolean;
}

function phases(): Phase[] {
  const list: Phase[] = [];
  for (const attack of attacks) {
    if (attack === 'stall') {
      const p = smoke
        ? { victimSockets: 2, senders: 2, ratePerSender: 5, contentBytes: 4000 }
        : { victimSockets: 5, senders: 20, ratePerSender: 15, contentBytes: 16_000 };
      const durationMs = windowSec('stall', 60) * 1000;
      list.push({
        id: 'stall',
        attack,
        title: `stall: ${p.victimSockets} sockets of one user stop reading; ${p.senders} users each send it ${p.ratePerSender} DMs/s of ${p.contentBytes.toLocaleString('en-US')} bytes`,
        env: {},
        params: { ...p, durationMs },
        clientUsers: 2 + p.senders,
      });
    } else if (attack === 'pong') {
      list.push({
        id: 'pong',
        attack,
        title: 'pong: a client that never reads but sends an engine.io pong every 5 s, and one that neither reads nor pongs',
        env: {},
        // Smoke pongs every second so that the path runs within its short window.
        params: { pongEveryMs: smoke ? 1000 : 5000, durationMs: windowSec('pong', 90) * 1000 },
        clientUsers: 3,
      });
    } else if (attack === 'roomjoin') {
      const p = smoke ? { roomSize: 200, sockets: 2, ratePerSocket: 10 } : { roomSize: 5000, sockets: 3, ratePerSocket: 19 };
      list.push({
        id: 'roomjoin',
        attack,
        title: `roomjoin: ${p.sockets} members of a ${p.roomSize.toLocaleString('en-US')}-member public room each send room:join ${p.ratePerSocket}/s`,
        env: {},
        params: { ...p, drainMs: smoke ? 1000 : 10_000, durationMs: windowSec('roomjoin', 30) * 1000 },
        clientUsers: 1 + p.sockets,
        roomSize: p.roomSize,
      });
    } else if (attack === 'login') {
      const ratePerSec = smoke ? 6 : 30;
      for (const addresses of ['many', 'single'] as const) {
        list.push({
          id: `login-${addresses}`,
          attack,
          title:
            addresses === 'many'
              ? `login: ${ratePerSec} register/login requests/s, each from a new X-Forwarded-For address`
              : `login: ${ratePerSec} register/login requests/s, all from one address`,
          env: { TRUST_PROXY: 'loopback' },
          params: { ratePerSec, drainMs: smoke ? 1000 : 10_000, timeoutMs: 30_000, durationMs: windowSec('login', 30) * 1000 },
          clientUsers: 2,
          addresses,
          probeMe: true,
        });
      }
    } else {
      throw new Error(`unknown attack "${String(attack)}" (known: ${ALL.join(', ')})`);
    }
  }
  return list;
}

// ---- setup --------------------------------------------------------------------------------

/**
 * User 0 registers through REST (a real scrypt hash, so the login flood can log in); the others
 * are inserted into SQLite with that hash, like bench/run.ts does. Only the first `clientUsers`
 * get tokens (same claims as TokenService: HS256, sub = id, 1 h); room-only members need none.
 */
async function createUsers(
  server: RunningServer,
  phase: Phase,
  secret: string,
  tmp: string,
): Promise<{ usersFile: string; roomId?: string }> {
  const res = await httpJson<{ user: { id: string } }>('POST', `${server.url}/auth/register`, { username: 'stress_0', password });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  const first = { id: res.body.user.id, username: 'stress_0' };
  const total = Math.max(phase.clientUsers, phase.roomSize ?? 0);
  const rows = [first, ...Array.from({ length: total - 1 }, (_, i) => ({ id: randomUUID(), username: `stress_${i + 1}` }))];
  const now = new Date().toISOString();
  const db = new Database(server.dbPath);
  db.pragma('busy_timeout = 10000');
  let roomId: string | undefined;
  try {
    const hash = (db.prepare('select password_hash from users where id = ?').get(first.id) as { password_hash: string }).password_hash;
    const insert = db.prepare(
      'insert into users (id, username, display_name, password_hash, created_at, last_seen_at) values (?, ?, ?, ?, ?, null)',
    );
    db.transaction(() => rows.slice(1).forEach((r) => insert.run(r.id, r.username, r.username, hash, now)))();
    if (phase.roomSize) roomId = insertRoom(db, rows.slice(0, phase.roomSize), now);
  } finally {
    db.close();
  }
  const key = Buffer.from(secret, 'utf8');
  const users: BenchUser[] = rows
    .slice(0, phase.clientUsers)
    .map((r) => ({ ...r, token: jwt.sign({}, key, { algorithm: 'HS256', subject: r.id, expiresIn: 3600 }) }));
  const usersFile = join(tmp, `${phase.id}-users.json`);
  writeFileSync(usersFile, JSON.stringify(users));
  return { usersFile, roomId };
}

/** A public room owned by members[0], with its conversation row, as RoomsRepository.create writes it (migration 0002). */
function insertRoom(db: Database.Database, members: { id: string }[], now: string): string {
  const roomId = randomUUID();
  db.transaction(() => {
    db.prepare('insert into rooms (id, name, visibility, owner_id, created_at) values (?, ?, ?, ?, ?)').run(
      roomId,
      'stress-room',
      'public',
      members[0].id,
      now,
    );
    db.prepare(
      "insert into conversations (id, kind, room_id, user_a, user_b, last_seq, last_message_at, created_at) values (?, 'room', ?, null, null, 0, null, ?)",
    ).run(`room:${roomId}`, roomId, now);
    const member = db.prepare('insert into room_members (room_id, user_id, role, joined_at) values (?, ?, ?, ?)');
    members.forEach((m, i) => member.run(roomId, m.id, i === 0 ? 'owner' : 'member', now));
  })();
  return roomId;
}

// ---- child processes ----------------------------------------------------------------------

/** What Ctrl-C (or a failed phase) must not leave behind. */
const running = { server: undefined as RunningServer | undefined, children: new Set<ChildProcess>() };

/** A child on the load core that prints `RESULT <json>` at the end and takes commands on stdin. */
class Child {
  readonly process: ChildProcess;
  private stderr = '';
  private lineHandlers: ((line: string) => void)[] = [];
  readonly result: Promise<Result>;

  constructor(script: string, spec: unknown, hardTimeoutMs: number) {
    const [cmd, cmdArgs] = nodeCommand(1, [join(benchDist, script), JSON.stringify(spec)]);
    this.process = spawn(cmd, cmdArgs, { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
    running.children.add(this.process);
    this.process.stderr!.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString()).slice(-3000)));
    createInterface({ input: this.process.stdout! }).on('line', (line) => this.lineHandlers.forEach((h) => h(line)));
    this.result = new Promise((resolve) => {
      let result: Result | undefined;
      this.onLine((line) => {
        if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as Result;
      });
      const timer = setTimeout(() => this.process.kill('SIGKILL'), hardTimeoutMs);
      this.process.on('exit', (code) => {
        clearTimeout(timer);
        running.children.delete(this.process);
        resolve(result ?? { error: `${script} exited with ${code} without a result: ${this.stderr}` });
      });
    });
  }

  onLine(handler: (line: string) => void): void {
    this.lineHandlers.push(handler);
  }

  /** Resolves on the line `READY`, or with false when the child ended first (setup failed). */
  ready(): Promise<boolean> {
    return Promise.race([new Promise<boolean>((r) => this.onLine((line) => line === 'READY' && r(true))), this.result.then(() => false)]);
  }

  send(command: 'GO' | 'STOP'): void {
    if (this.process.exitCode === null && this.process.stdin!.writable) this.process.stdin!.write(`${command}\n`);
  }
}

/**
 * `/health` always; `/users/me` (a bearer token and a user lookup) for the login flood; and the
 * memory probe's `/stats`, which runs on the server's event loop but outside Express, Nest and
 * the libuv thread pool: when /health is slow and `loop` is not, the wait is not the event loop.
 */
function startProber(server: RunningServer, phase: Phase, meToken: string | undefined): Child {
  const targets: ProbeTarget[] = [{ name: 'health', url: `${server.url}/health` }];
  if (phase.probeMe && meToken)
    targets.push({ name: 'me', url: `${server.url}/users/me`, headers: { authorization: `Bearer ${meToken}` } });
  targets.push({ name: 'loop', url: `${server.probeUrl}/stats` });
  const spec: ProbeSpec = { targets, ratePerSec: probeRate, timeoutMs: 10_000 };
  return new Child('stress-probe.js', spec, 15 * 60_000);
}

// ---- memory -------------------------------------------------------------------------------

interface MemSample {
  t: number;
  rssMB: number;
  heapUsedMB: number;
  externalMB: number;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/** `/mem` (after two gc) or `/stats` (no gc) of the probe; null when the server did not answer. */
async function memory(server: RunningServer, gc: boolean, t = 0): Promise<MemSample | null> {
  try {
    type Mem = { rss: number; heapUsed: number; external: number };
    const { body } = await httpJson<Mem & { mem: Mem }>('GET', `${server.probeUrl}/${gc ? 'mem' : 'stats'}`);
    const m = gc ? body : body.mem;
    return { t, rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external) };
  } catch {
    return null;
  }
}

/**
 * RSS once a second during the attack window (no gc: a gc would itself stall the server). One
 * request at a time: while the event loop is blocked the sample just comes late. Past
 * --max-rss-mb the attack is stopped, so a leak cannot take the machine down.
 */
function sampleMemory(server: RunningServer, load: Child, t0: number, onCap: () => void): { samples: MemSample[]; stop: () => void } {
  const samples: MemSample[] = [];
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void memory(server, false, Math.round((Date.now() - t0) / 100) / 10).then((s) => {
      busy = false;
      if (!s) return;
      samples.push(s);
      if (s.rssMB > maxRssMb) {
        onCap();
        load.send('STOP');
      }
    });
  }, 1000);
  return { samples, stop: () => clearInterval(timer) };
}

// ---- one phase ----------------------------------------------------------------------------

interface PhaseResult {
  id: string;
  attack: AttackName;
  title: string;
  env: Record<string, string>;
  params: Record<string, number>;
  addresses?: 'many' | 'single';
  /** All cores' busy share over 1 s before the server started (no server of ours running): other work on the machine. */
  machineBusyPctBefore: number | null;
  /** All cores' busy share during the attack window: server + attack client + prober + anything else. */
  machineBusyPctDuring?: number | null;
  loadAvgAtStart: number[];
  baseline?: ProbeResult | Result;
  probe?: ProbeResult | Result;
  rss?: { start: MemSample | null; peakMB: number | null; endOfWindowMB: number | null; after: MemSample | null; samples: MemSample[] };
  /** Server CPU over the attack window, % of one core (its main thread and thread pool together). */
  serverCpuPct?: number | null;
  stoppedAtRssCap?: boolean;
  load?: Result;
  windowSec?: number;
  serverExited?: number | null;
  error?: string;
}

async function runPhase(phase: Phase, tmp: string): Promise<PhaseResult> {
  const secret = randomBytes(32).toString('base64url');
  const out: PhaseResult = {
    id: phase.id,
    attack: phase.attack,
    title: phase.title,
    env: phase.env,
    params: phase.params,
    addresses: phase.addresses,
    machineBusyPctBefore: await waitQuiet(quietWaitSec * 1000),
    loadAvgAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
  const server = await startServer({ name: phase.id, script: join(repo, 'dist', 'main.js'), tmp, secret, env: phase.env });
  running.server = server;
  try {
    const { usersFile, roomId } = await createUsers(server, phase, secret, tmp);
    const users = JSON.parse(readFileSync(usersFile, 'utf8')) as BenchUser[];
    const spec: StressSpec = {
      attack: phase.attack,
      url: server.url,
      usersFile,
      params: phase.params,
      roomId,
      password,
      addresses: phase.addresses,
    };
    const load = new Child('stress-load.js', spec, phase.params.durationMs + 180_000);
    if (await load.ready()) {
      await measure(server, phase, load, users[1]?.token, out);
    } else {
      out.load = await load.result;
      out.error = typeof out.load.error === 'string' ? out.load.error : 'attack client failed during setup';
    }
  } catch (error) {
    out.error = (error as Error).message;
  } finally {
    out.serverExited = server.exited ?? null;
    if (server.exited !== undefined)
      out.error ??= `server exited with ${server.exited}: ${readFileSync(server.logFile, 'utf8').slice(-1500)}`;
    for (const child of running.children) child.kill('SIGKILL');
    await stopServer(server);
    running.server = undefined;
  }
  return out;
}

/** Baseline window, then GO and the attack window with prober, RSS and CPU, then RSS once the client left. */
async function measure(server: RunningServer, phase: Phase, load: Child, meToken: string | undefined, out: PhaseResult): Promise<void> {
  out.baseline = await probeWindow(server, phase, meToken, baselineSec * 1000);
  const start = await memory(server, true);
  const prober = startProber(server, phase, meToken);
  const cpu0 = await cpuMicros(server);
  const machine0 = cpuTimes();
  const t0 = Date.now();
  load.send('GO');
  const sampler = sampleMemory(server, load, t0, () => (out.stoppedAtRssCap = true));
  out.load = await load.result;
  out.windowSec = Math.round((Date.now() - t0) / 100) / 10;
  out.machineBusyPctDuring = busyPct(machine0, cpuTimes());
  const cpu1 = await cpuMicros(server);
  out.serverCpuPct = cpu0 !== null && cpu1 !== null ? Math.round((cpu1 - cpu0) / 10 / (Date.now() - t0)) : null;
  sampler.stop();
  prober.send('STOP');
  out.probe = await prober.result;
  // The attack client has gone (its sockets closed): does the server give the memory back?
  await sleep(smoke ? 500 : 2000);
  const after = await memory(server, true);
  const rssValues = [start, after, ...sampler.samples].filter((s): s is MemSample => s !== null).map((s) => s.rssMB);
  out.rss = {
    start,
    peakMB: rssValues.length ? Math.max(...rssValues) : null,
    endOfWindowMB: sampler.samples.at(-1)?.rssMB ?? null,
    after,
    samples: sampler.samples,
  };
}

/** Cumulative idle and total jiffies of all cores (/proc/stat), or null where there is none. */
function cpuTimes(): { idle: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: fields[3] + (fields[4] ?? 0), total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/** Busy share of all cores between two cpuTimes() readings, %. */
function busyPct(a: ReturnType<typeof cpuTimes>, b: ReturnType<typeof cpuTimes>): number | null {
  if (!a || !b) return null;
  return Math.round(100 * (1 - (b.idle - a.idle) / Math.max(1, b.total - a.total)));
}

/**
 * Before a phase (no server of ours running): waits up to `maxWaitMs` for a second in which the
 * machine is under 20 % busy, so other work (a build, a test run) is not measured with the
 * attack. Returns the last second's busy share; the report prints it.
 */
async function waitQuiet(maxWaitMs: number): Promise<number | null> {
  const until = Date.now() + maxWaitMs;
  for (;;) {
    const a = cpuTimes();
    await sleep(1000);
    const busy = busyPct(a, cpuTimes());
    if (busy === null || busy < 20 || Date.now() >= until) return busy;
  }
}

async function cpuMicros(server: RunningServer): Promise<number | null> {
  try {
    const { body } = await httpJson<{ cpu: { user: number; system: number } }>('GET', `${server.probeUrl}/stats`);
    return body.cpu.user + body.cpu.system;
  } catch {
    return null;
  }
}

/** The prober alone for `ms`: the numbers an attack window is compared with. */
async function probeWindow(server: RunningServer, phase: Phase, meToken: string | undefined, ms: number): Promise<ProbeResult | Result> {
  const prober = startProber(server, phase, meToken);
  await sleep(ms);
  prober.send('STOP');
  return prober.result;
}

// ---- report -------------------------------------------------------------------------------

const fmt = (v: unknown): string => {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number')
    return Number.isNaN(v) ? '–' : Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 100) / 100);
  return typeof v === 'string' ? v : JSON.stringify(v);
};
const counts = (tally: unknown): string => {
  const entries = Object.entries((tally ?? {}) as Record<string, number>);
  return entries.length ? entries.map(([k, n]) => `${k}: ${n.toLocaleString('en-US')}`).join(', ') : 'none';
};
const sec = (v: unknown, windowSec: unknown) => (v === null || v === undefined ? `not within ${fmt(windowSec)} s` : `${fmt(v)} s`);

function isProbe(r: ProbeResult | Result | undefined): r is ProbeResult {
  return !!r && typeof (r as ProbeResult).targets === 'object';
}

function probeRows(r: PhaseResult): string[] {
  const rows = ['| endpoint | window | requests | p50 ms | p99 ms | max ms | errors |', '|---|---|---:|---:|---:|---:|---|'];
  const l = (r.load ?? {}) as Record<string, unknown>;
  const attackLabel =
    typeof l.drainSec === 'number' ? `attack (${fmt(l.attackSec)} s + ${fmt(l.drainSec)} s drain)` : `attack (${fmt(r.windowSec)} s)`;
  for (const [label, result] of [
    [`baseline (${baselineSec} s, no attack)`, r.baseline],
    [attackLabel, r.probe],
  ] as const) {
    if (!isProbe(result)) {
      rows.push(`| – | ${label} | – | – | – | – | ${fmt(result?.error ?? 'not run')} |`);
      continue;
    }
    for (const [name, t] of Object.entries<TargetStats>(result.targets)) {
      const path = name === 'me' ? 'GET /users/me' : name === 'loop' ? 'GET probe /stats (event loop only)' : 'GET /health';
      rows.push(
        `| ${path} | ${label} | ${t.requests} | ${fmt(t.p50Ms)} | ${fmt(t.p99Ms)} | ${fmt(t.maxMs)} | ${t.errorCount ? counts(t.errors) : '0'} |`,
      );
    }
  }
  return rows;
}

/** The attack-specific rows: what the attack did and what the server did about it. */
function attackRows(r: PhaseResult): [string, string][] {
  const l = (r.load ?? {}) as Record<string, unknown>;
  const w = r.windowSec;
  if (r.attack === 'stall') {
    return [
      ['DMs sent / acked ok', `${fmt(l.sent)} / ${fmt(l.acked)}`],
      ['DM ack errors', counts(l.ackErrors)],
      ['DM ack p50 / p99 (ms)', `${fmt(l.ackP50Ms)} / ${fmt(l.ackP99Ms)}`],
      ['bytes per DM (UTF-8) / characters', `${fmt(l.contentUtf8Bytes)} / ${fmt(l.contentChars)}`],
      ['written to the stalled sockets (acked DMs × sockets, MB)', fmt(l.queuedForVictimsMB)],
      [
        'victim connections the server still counts at the end (socket.io)',
        `${fmt(l.serverConnectionsAtEnd)} of ${fmt(r.params.victimSockets)}`,
      ],
      ['first / last stalled socket disconnected by socket.io', `${sec(l.firstSocketioDropSec, w)} / ${sec(l.allSocketioDroppedSec, w)}`],
      [
        'stalled TCP connections closed by the server',
        `${fmt(l.tcpClosedByServer)} of ${fmt(r.params.victimSockets)}, first ${sec(l.firstTcpCloseSec, w)}`,
      ],
    ];
  }
  if (r.attack === 'pong') {
    const c = (k: 'pong' | 'silent') => (l[k] ?? {}) as Record<string, unknown>;
    return [
      ['pongs sent (never reading)', fmt(l.pongsSent)],
      [
        'pong client: disconnected by socket.io / TCP closed by server',
        `${sec(c('pong').socketioDisconnectSec, w)} / ${sec(c('pong').tcpClosedSec, w)}`,
      ],
      [
        'silent client: disconnected by socket.io / TCP closed by server',
        `${sec(c('silent').socketioDisconnectSec, w)} / ${sec(c('silent').tcpClosedSec, w)}`,
      ],
    ];
  }
  if (r.attack === 'roomjoin') {
    return [
      ['room:join sent / acked ok', `${fmt(l.sent)} / ${fmt(l.ok)}`],
      ['room:join errors', counts(l.errors)],
      ['unanswered after the drain', fmt(l.unansweredAfterDrain)],
      ['ack p50 / p99 / max (ms)', `${fmt(l.ackP50Ms)} / ${fmt(l.ackP99Ms)} / ${fmt(l.ackMaxMs)}`],
      ['size of a successful ack (KiB, median)', fmt(l.ackKiB)],
      ['joins answered per second', fmt(l.answeredPerSec)],
    ];
  }
  const kind = (k: 'register' | 'login') => (l[k] ?? {}) as Record<string, unknown>;
  return [
    ['requests sent', fmt(l.sent)],
    ['register statuses', counts(kind('register').statuses)],
    ['login statuses', counts(kind('login').statuses)],
    ['registrations accepted (201)', fmt(l.registered)],
    ['register p50 / p99 (ms)', `${fmt(kind('register').p50Ms)} / ${fmt(kind('register').p99Ms)}`],
    ['login p50 / p99 (ms)', `${fmt(kind('login').p50Ms)} / ${fmt(kind('login').p99Ms)}`],
    ['still unanswered after the drain', fmt(l.unfinishedAfterDrain)],
  ];
}

function phaseMarkdown(r: PhaseResult): string[] {
  const md = [`## ${r.title}`, ''];
  const env = Object.entries(r.env).map(([k, v]) => `${k}=${v}`);
  const busy =
    r.machineBusyPctBefore === null ? '' : ` · machine ${r.machineBusyPctBefore} % busy just before the server started (all cores, 1 s)`;
  md.push(`Window ${fmt(r.windowSec)} s${env.length ? ` · server also ran with ${env.join(' ')}` : ''}${busy}`, '');
  if (r.error) md.push(`**Error:** ${r.error.replace(/\n/g, ' ')}`, '');
  md.push('| metric | value |', '|---|---|', ...attackRows(r).map(([k, v]) => `| ${k} | ${v} |`));
  const rss = r.rss;
  if (rss) {
    md.push(
      `| server RSS at start / peak / end of window / after the clients left (MB) | ${fmt(rss.start?.rssMB)} / ${fmt(rss.peakMB)} / ${fmt(rss.endOfWindowMB)} / ${fmt(rss.after?.rssMB)} |`,
    );
    if (r.stoppedAtRssCap) md.push(`| stopped early | RSS passed --max-rss-mb=${maxRssMb} |`);
  }
  md.push(`| server CPU during the attack (% of one core) | ${fmt(r.serverCpuPct)} |`);
  md.push(`| whole machine busy during the attack (% of all ${cores} cores) | ${fmt(r.machineBusyPctDuring)} |`);
  md.push(`| attack client CPU (% of its core) | ${fmt(r.load?.loadCpuPct)} |`, '', ...probeRows(r), '');
  if (rss && rss.samples.length && r.attack === 'stall') {
    md.push(`RSS every second (MB, no gc): ${rss.samples.map((s) => fmt(s.rssMB)).join(', ')}`, '');
  }
  return md;
}

/** In a few words, what the server did about the attack: the part that should change after a fix. */
function verdict(r: PhaseResult): string {
  if (r.error) return `error: ${r.error.slice(0, 80)}`;
  const l = (r.load ?? {}) as Record<string, unknown>;
  const w = r.windowSec;
  if (r.attack === 'stall') {
    const n = fmt(r.params.victimSockets);
    return `${n} stalled sockets: socket.io dropped the last ${sec(l.allSocketioDroppedSec, w)}; TCP closed: ${fmt(l.tcpClosedByServer)} of ${n}`;
  }
  if (r.attack === 'pong') {
    const p = (l.pong ?? {}) as Record<string, unknown>;
    const s = (l.silent ?? {}) as Record<string, unknown>;
    return `pong client dropped: ${sec(p.socketioDisconnectSec, w)}; silent client: ${sec(s.socketioDisconnectSec, w)}`;
  }
  if (r.attack === 'roomjoin') return `room:join ack p99 ${fmt(l.ackP99Ms)} ms, ${fmt(l.ackKiB)} KiB each; refused: ${counts(l.errors)}`;
  const register = (l.register ?? {}) as Record<string, unknown>;
  const loginKind = (l.login ?? {}) as Record<string, unknown>;
  return `${r.addresses === 'single' ? 'one address' : 'many addresses'}: register ${counts(register.statuses)}; login ${counts(loginKind.statuses)}`;
}

/** One line per phase: the numbers that tell before from after. */
function summaryRows(results: PhaseResult[]): string[] {
  const rows = [
    '| attack | what the server did | /health p99 baseline → attack (ms) | RSS start → peak (MB) | machine busy before / during (%) |',
    '|---|---|---:|---:|---:|',
  ];
  const p99 = (x: ProbeResult | Result | undefined) => (isProbe(x) ? fmt(x.targets.health?.p99Ms) : '–');
  for (const r of results) {
    const busy = `${fmt(r.machineBusyPctBefore)} / ${fmt(r.machineBusyPctDuring)}`;
    rows.push(
      `| ${r.id} | ${verdict(r)} | ${p99(r.baseline)} → ${p99(r.probe)} | ${fmt(r.rss?.start?.rssMB)} → ${fmt(r.rss?.peakMB)} | ${busy} |`,
    );
  }
  return rows;
}

async function main(): Promise<void> {
  const started = Date.now();
  const tmp = mkdtempSync(join(tmpdir(), 'realtime-stress-'));
  const list = phases();
  log(
    `stress: ${smoke ? 'smoke' : 'full'} mode, phases ${list.map((p) => p.id).join(', ')}; ${cores} cores, ${pinned ? 'server on core 0, clients on core 1' : 'NOT pinned'}; tmp ${tmp}`,
  );
  // Ctrl-C / SIGTERM: stop what this run started, then leave.
  const abort = () => {
    for (const child of running.children) child.kill('SIGKILL');
    running.server?.child.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  const results: PhaseResult[] = [];
  for (const phase of list) {
    const t = Date.now();
    const result = await runPhase(phase, tmp);
    results.push(result);
    log(
      `  ${phase.id.padEnd(12)} ${((Date.now() - t) / 1000).toFixed(1)}s ${result.error ? `ERROR ${result.error.slice(0, 300)}` : 'done'}`,
    );
  }
  const meta = {
    date: new Date().toISOString(),
    mode: smoke ? 'smoke' : 'full',
    git: gitCommit(),
    // The bench files change more often than the service: this is the code being attacked.
    serviceGit: spawnSync('git', ['log', '-1', '--format=%h', '--', 'src'], { cwd: repo, encoding: 'utf8' }).stdout.trim(),
    durationSec: Math.round((Date.now() - started) / 1000),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores,
    pinned,
    baselineSec,
    probe: { ratePerSecPerEndpoint: probeRate, keepAlive: false, timeoutMs: 10_000 },
    maxRssMb,
  };
  const md = [
    `# Stress: availability under attack (${meta.mode})`,
    '',
    `${meta.date} · git ${meta.git} (service code, src/, last changed in ${meta.serviceGit}) · Node ${meta.node} · ${meta.cpu} × ${cores} · ${pinned ? 'server pinned to core 0, attack client and prober to core 1' : 'not pinned'} · ${meta.durationSec} s`,
    '',
    `Measured, not asserted. Prober: ${probeRate} requests/s per endpoint, open loop, keep-alive off, 10 s timeout. Method and meaning of every number: bench/README.md, "Stress".`,
    '',
    ...summaryRows(results),
    '',
    ...results.flatMap(phaseMarkdown),
  ];
  const resultsDir = join(repo, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${outName}.md`), `${md.join('\n')}\n`);
  writeFileSync(join(resultsDir, `${outName}.json`), `${JSON.stringify({ meta, phases: results }, null, 2)}\n`);
  process.stdout.write(`${md.join('\n')}\n`);
  log(`stress: wrote bench/results/${outName}.md and .json in ${meta.durationSec} s`);
  if (args.has('keep-tmp')) log(`stress: kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
  // Smoke (the harness still works) fails on errors only, never on a number.
  if (smoke && results.some((r) => r.error)) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    log(`stress failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
