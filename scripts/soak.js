'use strict';
/**
 * Soak test (not part of `npm test`): the built server under connection churn and steady
 * messaging for a long time, watching memory and leaked resources.
 *
 *   npm run soak                      2,000 connections, 10 minutes
 *   SOAK_SMOKE=1 npm run soak         500 connections, 60 s (proves the harness works)
 *
 * Environment: SOAK_SECONDS, SOAK_CONNECTIONS, SOAK_USERS, SOAK_MSGS_PER_SEC, SOAK_CHURN_PER_SEC,
 * SOAK_WARMUP_SECONDS, SOAK_MAX_SLOPE_MB_PER_MIN (only enforced on runs of 5+ minutes after warm-up).
 *
 * It starts `node --expose-gc -r scripts/soak-probe.js dist/main.js` on a throwaway SQLite file,
 * samples RSS after a forced gc every 10 s, and reports the RSS slope (MB/min, least squares
 * over the samples after warm-up). When every client has left it compares active timers,
 * handles and event listeners with the baseline taken before any client connected, and fails
 * when they grew (a listener or timer left behind per connection shows up as hundreds).
 */
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { io } = require('socket.io-client');

const smoke = process.env.SOAK_SMOKE === '1';
const num = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const SECONDS = num('SOAK_SECONDS', smoke ? 60 : 600);
const CONNECTIONS = num('SOAK_CONNECTIONS', smoke ? 500 : 2000);
const USERS = num('SOAK_USERS', Math.max(10, Math.ceil(CONNECTIONS / 10)));
const MSGS_PER_SEC = num('SOAK_MSGS_PER_SEC', smoke ? 50 : 100);
const CHURN_PER_SEC = num('SOAK_CHURN_PER_SEC', Math.max(1, Math.round(CONNECTIONS / 100)));
const WARMUP_SECONDS = num('SOAK_WARMUP_SECONDS', Math.min(60, Math.round(SECONDS * 0.25)));
const MAX_SLOPE = num('SOAK_MAX_SLOPE_MB_PER_MIN', 5);
/** Growth of timers/handles/listeners (end vs. baseline) tolerated: a few lazily created ones. */
const RESOURCE_TOLERANCE = num('SOAK_RESOURCE_TOLERANCE', 25);
const SECRET = 'soak-secret-soak-secret-soak-secret-0123456789';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...args) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...args);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function getJson(url, init) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url} → ${res.status} ${await res.text()}`);
  return res.json();
}

async function waitForHealth(url) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('server did not come up');
    await sleep(200);
  }
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'rt-soak-'));
  const [port, probePort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const probe = `http://127.0.0.1:${probePort}`;
  const server = spawn(
    process.execPath,
    ['--expose-gc', '-r', join(__dirname, 'soak-probe.js'), join(__dirname, '..', 'dist', 'main.js')],
    {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        SOAK_PROBE_PORT: String(probePort),
        DATABASE_URL: `sqlite:${join(dir, 'soak.db')}`,
        JWT_SECRET: SECRET,
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        CORS_ORIGINS: '*',
        PRESENCE_GRACE_MS: '1000',
        RATE_LIMIT_EVENTS_PER_SEC: '1000',
        RATE_LIMIT_BURST: '1000',
        REGISTER_MAX_PER_IP: '1000000',
        RATE_LIMIT_USER_EVENTS_PER_SEC: '1000',
        RATE_LIMIT_USER_BURST: '1000',
        // Sockets are spread over users at random: some users get more than the default 20.
        MAX_CONNECTIONS_PER_USER: '1000',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const serverExit = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
  let serverDied = false;
  void serverExit.then(() => (serverDied = true));
  const clients = new Set();
  const failures = [];
  try {
    await waitForHealth(url);
    log(
      `server pid ${server.pid} on ${url}; ${CONNECTIONS} connections, ${USERS} users, ${MSGS_PER_SEC} msg/s, churn ${CHURN_PER_SEC}/s, ${SECONDS} s (warm-up ${WARMUP_SECONDS} s)`,
    );

    const users = [];
    for (let i = 0; i < USERS; i += 8) {
      const batch = Array.from({ length: Math.min(8, USERS - i) }, (_, j) =>
        getJson(`${url}/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: `soak${i + j}_${process.pid}`.slice(0, 32), password: 'soak-password-123' }),
        }),
      );
      for (const r of await Promise.all(batch)) users.push({ id: r.user.id, token: r.accessToken });
    }
    const baseline = await getJson(`${probe}/resources`);
    const baselineMem = await getJson(`${probe}/mem`);
    log(
      `baseline: rss ${(baselineMem.rss / 1048576).toFixed(1)} MB, resources ${JSON.stringify(baseline.byType)}, listeners ${baseline.listeners} on ${baseline.emitters} emitters`,
    );

    let sent = 0;
    let acked = 0;
    let failedAcks = 0;
    let opened = 0;
    let connectErrors = 0;
    const pick = (items) => items[Math.floor(Math.random() * items.length)];

    const openClient = () =>
      new Promise((resolve) => {
        const user = pick(users);
        const socket = io(url, { auth: { token: user.token }, transports: ['websocket'], reconnection: false, forceNew: true });
        const client = { socket, user };
        socket.once('session', () => {
          clients.add(client);
          opened++;
          // A little of everything that keeps per-socket state on the server.
          if (Math.random() < 0.2) socket.emit('presence:subscribe', { userIds: [pick(users).id, pick(users).id] }, () => undefined);
          if (Math.random() < 0.1) socket.emit('modal:open', { modalId: `m-${Math.floor(Math.random() * 50)}` }, () => undefined);
          if (Math.random() < 0.1) socket.emit('typing', { to: pick(users).id, isTyping: true }, () => undefined);
          resolve();
        });
        socket.once('connect_error', () => {
          connectErrors++;
          socket.close();
          resolve();
        });
        socket.once('disconnect', () => clients.delete(client));
      });

    for (let i = 0; i < CONNECTIONS; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, CONNECTIONS - i) }, openClient));
    }
    log(`${clients.size} connected`);

    const started = Date.now();
    const samples = [];
    let nextSample = started;
    while (Date.now() - started < SECONDS * 1000) {
      if (serverDied) throw new Error('the server process died');
      const tickStart = Date.now();
      // Steady messaging: MSGS_PER_SEC spread over 10 ticks a second.
      const list = [...clients];
      for (let i = 0; i < MSGS_PER_SEC / 10 && list.length; i++) {
        const { socket } = pick(list);
        sent++;
        socket.timeout(10_000).emit('message:send', { to: pick(users).id, content: `soak ${sent}` }, (err, ack) => {
          if (!err && ack && ack.ok) acked++;
          else failedAcks++;
        });
      }
      // Churn: replace some connections every second.
      if (Math.floor((tickStart - started) / 100) % 10 === 0) {
        for (let i = 0; i < CHURN_PER_SEC && list.length; i++) pick(list).socket.disconnect();
        const missing = CONNECTIONS - clients.size;
        void Promise.all(Array.from({ length: Math.max(0, missing) }, openClient));
      }
      if (tickStart >= nextSample) {
        nextSample += 10_000;
        const mem = await getJson(`${probe}/mem`);
        const res = await getJson(`${probe}/resources`);
        const t = (Date.now() - started) / 1000;
        samples.push({ t, rss: mem.rss / 1048576, heap: mem.heapUsed / 1048576 });
        log(
          `t=${t.toFixed(0)}s rss ${(mem.rss / 1048576).toFixed(1)} MB heap ${(mem.heapUsed / 1048576).toFixed(1)} MB, ` +
            `${res.timers} timers, ${res.listeners} listeners, ${clients.size} connected, sent ${sent} acked ${acked} failed ${failedAcks}, opened ${opened}`,
        );
      }
      await sleep(Math.max(0, 100 - (Date.now() - tickStart)));
    }

    // Everyone leaves; the server must fall back to its baseline once the grace periods passed.
    for (const { socket } of [...clients]) socket.disconnect();
    await sleep(4000);
    const end = await getJson(`${probe}/resources`);
    const endMem = await getJson(`${probe}/mem`);

    const after = samples.filter((s) => s.t >= WARMUP_SECONDS);
    const rssSlope = slope(after.map((s) => ({ x: s.t / 60, y: s.rss })));
    const heapSlope = slope(after.map((s) => ({ x: s.t / 60, y: s.heap })));
    const timers = (r) => r.timers;
    const sockets = (r) => (r.byType.TCPSocketWrap ?? 0) + (r.byType.TCPWRAP ?? 0);
    const report = {
      seconds: SECONDS,
      connections: CONNECTIONS,
      connectionsOpened: opened,
      connectErrors,
      messages: { sent, acked, failed: failedAcks },
      rssSlopeMBPerMin: Number(rssSlope.toFixed(3)),
      heapSlopeMBPerMin: Number(heapSlope.toFixed(3)),
      rssMB: { baseline: +(baselineMem.rss / 1048576).toFixed(1), end: +(endMem.rss / 1048576).toFixed(1) },
      timers: { baseline: timers(baseline), end: timers(end) },
      sockets: { baseline: sockets(baseline), end: sockets(end) },
      handles: { baseline: baseline.handles, end: end.handles },
      listeners: { baseline: baseline.listeners, end: end.listeners },
      emitters: { baseline: baseline.emitters, end: end.emitters },
    };
    console.log(JSON.stringify(report, null, 2));

    const grew = (name, a, b) => b - a > RESOURCE_TOLERANCE && failures.push(`${name} grew from ${a} to ${b} after every client left`);
    grew('timers', report.timers.baseline, report.timers.end);
    grew('handles', report.handles.baseline, report.handles.end);
    grew('event listeners', report.listeners.baseline, report.listeners.end);
    grew('sockets', report.sockets.baseline, report.sockets.end);
    if (sent > 0 && failedAcks / sent > 0.01) failures.push(`${failedAcks} of ${sent} sends failed`);
    if (opened < CONNECTIONS) failures.push(`only ${opened} of ${CONNECTIONS} connections opened`);
    if (SECONDS - WARMUP_SECONDS >= 300 && rssSlope > MAX_SLOPE)
      failures.push(`RSS grows ${rssSlope.toFixed(2)} MB/min (limit ${MAX_SLOPE})`);
  } catch (error) {
    failures.push(String(error && error.stack ? error.stack : error));
  } finally {
    for (const { socket } of [...clients]) socket.disconnect();
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
    await serverExit;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
  if (failures.length) {
    console.error(`SOAK FAILED:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  log('soak passed');
  process.exit(0);
}

void main();
