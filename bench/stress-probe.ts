/**
 * The stress run's light prober: `node bench/dist/stress-probe.js '<ProbeSpec json>'`, a process
 * of its own on the load core, so a busy attack client cannot delay its requests.
 *
 * Open loop: every target gets a request each 1000/ratePerSec ms whether or not the previous one
 * answered, so a server that stalls is charged for every request it delays (no coordinated
 * omission). Keep-alive is OFF (`agent: false`): each request opens its own TCP connection, like
 * a load balancer's health check, so time spent waiting to be accepted counts too.
 *
 * Runs until the line `STOP` on stdin, waits for the requests in flight (each is bounded by
 * `timeoutMs`, then counted as an error), prints `RESULT <ProbeResult json>` and exits.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { percentile, round } from './load';

export interface ProbeTarget {
  /** Key in the result, e.g. `health`. */
  name: string;
  url: string;
  headers?: Record<string, string>;
}

export interface ProbeSpec {
  targets: ProbeTarget[];
  /** Requests per second to EACH target. */
  ratePerSec: number;
  timeoutMs: number;
}

export interface TargetStats {
  requests: number;
  /** 2xx answers. */
  ok: number;
  /** Latency of every request (any status), ms; one that timed out counts as `timeoutMs` (a lower bound). */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Non-2xx statuses, timeouts and socket errors, by kind (`status 503`, `timeout`, `ECONNRESET`). */
  errors: Record<string, number>;
  errorCount: number;
}

export interface ProbeResult {
  durationMs: number;
  ratePerSec: number;
  keepAlive: false;
  /** How late the prober itself ever started a request (its own event loop), ms. */
  schedulerMaxLagMs: number;
  targets: Record<string, TargetStats>;
}

interface Tally {
  latencies: number[];
  requests: number;
  ok: number;
  errors: Record<string, number>;
}

/** One GET; resolves (never rejects) once it answered, failed or timed out. */
function probeOnce(spec: ProbeSpec, target: ProbeTarget, tally: Tally): Promise<void> {
  tally.requests++;
  const started = performance.now();
  const fail = (kind: string) => (tally.errors[kind] = (tally.errors[kind] ?? 0) + 1);
  return new Promise((resolve) => {
    const req = request(target.url, { agent: false, headers: target.headers ?? {} }, (res) => {
      res.resume();
      res.on('end', () => {
        tally.latencies.push(performance.now() - started);
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) tally.ok++;
        else fail(`status ${status}`);
        resolve();
      });
      res.on('error', () => {
        fail('response error');
        resolve();
      });
    });
    req.setTimeout(spec.timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.message === 'timeout') tally.latencies.push(performance.now() - started);
      fail(error.message === 'timeout' ? 'timeout' : (error.code ?? error.message));
      resolve();
    });
    req.end();
  });
}

function summarize(tally: Tally): TargetStats {
  const errorCount = Object.values(tally.errors).reduce((a, b) => a + b, 0);
  const max = tally.latencies.length ? round(Math.max(...tally.latencies)) : null;
  return {
    requests: tally.requests,
    ok: tally.ok,
    p50Ms: percentile(tally.latencies, 50),
    p99Ms: percentile(tally.latencies, 99),
    maxMs: max,
    errors: tally.errors,
    errorCount,
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as ProbeSpec;
  const tallies = spec.targets.map((): Tally => ({ latencies: [], requests: 0, ok: 0, errors: {} }));
  const inFlight = new Set<Promise<void>>();
  const period = 1000 / spec.ratePerSec;
  const t0 = performance.now();
  let stopped = false;
  let lagMax = 0;
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'STOP') stopped = true;
  });
  // Request k to every target is due at t0 + k·period; the timer is re-aimed at the next due time.
  for (let k = 0; !stopped; k++) {
    const due = t0 + k * period;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (stopped) break;
    lagMax = Math.max(lagMax, performance.now() - due);
    spec.targets.forEach((target, i) => {
      const p = probeOnce(spec, target, tallies[i]);
      inFlight.add(p);
      void p.then(() => inFlight.delete(p));
    });
  }
  const durationMs = performance.now() - t0;
  await Promise.all(inFlight);
  const result: ProbeResult = {
    durationMs: round(durationMs, 0),
    ratePerSec: spec.ratePerSec,
    keepAlive: false,
    schedulerMaxLagMs: round(lagMax),
    targets: Object.fromEntries(spec.targets.map((t, i) => [t.name, summarize(tallies[i])])),
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

if (require.main === module) void main();
