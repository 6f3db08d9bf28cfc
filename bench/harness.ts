/**
 * Process plumbing shared by the benchmark (run.ts) and the stress run (stress.ts): pinning to a
 * core, free ports, a small JSON HTTP client, and starting/stopping a server process with the
 * memory probe preloaded. Moved here from run.ts unchanged in behaviour.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (this file runs from bench/dist/). */
export const repo = resolve(__dirname, '..', '..');
export const benchDist = __dirname;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const log = (line: string) => process.stderr.write(`${line}\n`);

/** `--key=value` and `--flag` (value 'true') arguments. */
export function parseArgs(argv: string[]): Map<string, string> {
  return new Map(
    argv.map((a) => {
      const arg = a.replace(/^--/, '');
      const at = arg.indexOf('=');
      // Split at the first `=` only: a value may hold one (`--before-node-args=--flag=64`).
      return at < 0 ? ([arg, 'true'] as const) : ([arg.slice(0, at), arg.slice(at + 1)] as const);
    }),
  );
}

export const cores = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
export const pinned = cores >= 2 && hasTaskset;
/** The command line for a node process, pinned to `core` when there are 2+ cores. */
export function nodeCommand(core: number, nodeArgs: string[]): [string, string[]] {
  return pinned ? ['taskset', ['-c', String(core), process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
}

/** The short commit of the checkout being measured. */
export function gitCommit(): string {
  return spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).stdout.trim();
}

/** `n` distinct free ports: all are held open at once, so two calls cannot return the same one. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolveServer, reject) => {
          const srv = createServer();
          srv.on('error', reject);
          srv.listen(0, '127.0.0.1', () => resolveServer(srv));
        }),
    ),
  );
  const ports = servers.map((srv) => (srv.address() as { port: number }).port);
  await Promise.all(servers.map((srv) => new Promise((done) => srv.close(done))));
  return ports;
}

/** A JSON request; `T` is what the caller expects the body to be (not checked: bench endpoints are ours). */
export function httpJson<T = unknown>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  return new Promise((resolveReq, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const allHeaders = data
      ? { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(data)) }
      : headers;
    const req = request(url, { method, headers: allHeaders }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolveReq({ status: res.statusCode ?? 0, body: parsed as T });
      });
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout ${url}`)));
    req.end(data);
  });
}

export interface RunningServer {
  name: string;
  url: string;
  probeUrl: string;
  dbPath: string;
  child: ChildProcess;
  logFile: string;
  exited?: number | null;
}

export interface ServerStart {
  /** Names the database and log files in `tmp`. */
  name: string;
  /** Names the log file instead of `name` (the second and later instances of one server share its database). */
  logName?: string;
  /** The server's entry script. */
  script: string;
  tmp: string;
  secret: string;
  /** Extra node flags before `-r memory-probe.js`. */
  nodeArgs?: string[];
  /** Extra environment on top of the common one (NODE_ENV=production, LOG_LEVEL=warn, ...). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts `node --expose-gc -r bench/memory-probe.js <script>` pinned to core 0 on a fresh
 * SQLite file and resolves once both `/health` and the probe answer (max 60 s).
 */
export async function startServer(options: ServerStart): Promise<RunningServer> {
  const { name, script, tmp, secret } = options;
  const [port, probePort] = await freePorts(2);
  const dbPath = join(tmp, `${name}.db`);
  const logFile = join(tmp, `${options.logName ?? name}.log`);
  const [cmd, cmdArgs] = nodeCommand(0, ['--expose-gc', ...(options.nodeArgs ?? []), '-r', join(repo, 'bench', 'memory-probe.js'), script]);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    PORT: String(port),
    JWT_SECRET: secret,
    DATABASE_URL: `sqlite:${dbPath}`,
    LOG_LEVEL: 'warn',
    CORS_ORIGINS: '*',
    BENCH_PROBE_PORT: String(probePort),
    // For ad-hoc instrumentation of both servers, e.g. a `-r` preload that times SQL statements.
    ...(process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {}),
    ...options.env,
  };
  const child = spawn(cmd, cmdArgs, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(logFile);
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const server: RunningServer = {
    name,
    url: `http://127.0.0.1:${port}`,
    probeUrl: `http://127.0.0.1:${probePort}`,
    dbPath,
    child,
    logFile,
  };
  child.on('exit', (code) => (server.exited = code));
  const until = Date.now() + 60_000;
  for (;;) {
    if (server.exited !== undefined)
      throw new Error(`${name} exited with ${server.exited}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    try {
      const [health, probe] = await Promise.all([httpJson('GET', `${server.url}/health`), httpJson('GET', `${server.probeUrl}/stats`)]);
      if (health.status === 200 && probe.status === 200) return server;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`${name} did not become healthy within 60 s`);
    await sleep(100);
  }
}

export async function stopServer(server: RunningServer): Promise<void> {
  if (server.exited !== undefined) return;
  const exited = new Promise<void>((r) => server.child.once('exit', () => r()));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
