import type { Socket as NetSocket } from 'node:net';
import WebSocket from 'ws';
import { DEFAULT_WAIT_MS } from './clients';

/**
 * A socket.io client at the frame level (engine.io v4 over `ws`), for behaviour the real client
 * never shows: not answering pings, unsolicited pongs, never sending CONNECT, leaving mid-handshake,
 * or not reading at all. Frames: `0{..}` open, `2` ping / `3` pong, `40{auth}` connect,
 * `40{"sid"}` connected, `44{..}` connect_error, `42[event, payload]` event.
 */
export class RawSocket {
  readonly frames: string[] = [];
  pings = 0;
  /** Answer the server's pings (as every real client does). */
  answerPings = true;
  closed = false;
  readonly openedAt = Date.now();
  closedAt?: number;
  private readonly checks = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const frame = data.toString();
      this.frames.push(frame);
      if (frame === '2') {
        this.pings += 1;
        if (this.answerPings) this.send('3');
      }
      for (const check of [...this.checks]) check();
    });
    ws.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      for (const check of [...this.checks]) check();
    });
    ws.on('error', () => undefined);
  }

  /** Opens the websocket transport and waits for engine.io's open packet. */
  static async open(httpUrl: string): Promise<RawSocket> {
    const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const socket = new RawSocket(ws);
    await socket.waitFrame((f) => f.startsWith('0{'));
    return socket;
  }

  /** Opens and completes the socket.io handshake with `token`; resolves with the `session` payload. */
  static async connect(httpUrl: string, token: string): Promise<RawSocket> {
    const socket = await RawSocket.open(httpUrl);
    socket.send(`40${JSON.stringify({ token })}`);
    await socket.waitFrame((f) => f.startsWith('42["session"'));
    return socket;
  }

  send(frame: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  /** The TCP socket under the websocket (to stop reading it). */
  get tcp(): NetSocket {
    return (this.ws as unknown as { _socket: NetSocket })._socket;
  }

  /** Stops reading: the server's data piles up in the kernel buffers, then in the server's. */
  pause(): void {
    this.tcp.pause();
  }

  waitFrame(match: (frame: string) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    return this.until(
      () => this.frames.find(match),
      timeoutMs,
      () => `no matching frame within ${timeoutMs} ms; got ${this.frames.map((f) => f.slice(0, 30)).join(' | ')}`,
    );
  }

  /** Resolves when the connection closed (by either side), rejects after `timeoutMs`. */
  async waitClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    await this.until(
      () => (this.closed ? true : undefined),
      timeoutMs,
      () => `still open after ${timeoutMs} ms`,
    );
  }

  /** Waits until the server sent `count` pings in total (fails if the connection closes first). */
  async waitPings(count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    await this.until(
      () => {
        if (this.pings >= count) return true;
        if (this.closed) throw new Error(`closed after ${this.pings} of ${count} pings`);
        return undefined;
      },
      timeoutMs,
      () => `only ${this.pings} of ${count} pings within ${timeoutMs} ms`,
    );
  }

  /** Re-evaluates `probe` on every frame and on close until it gives a value (or throws). */
  private until<T>(probe: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        try {
          const value = probe();
          if (value === undefined) return false;
          resolve(value);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.checks.delete(onEvent);
        reject(new Error(describe()));
      }, timeoutMs);
      const onEvent = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.checks.delete(onEvent);
      };
      this.checks.add(onEvent);
    });
  }

  /** Drops the TCP connection without a close handshake. */
  terminate(): void {
    this.ws.terminate();
  }
}

/** Polls `probe` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** One sample of Prometheus text, e.g. metric(text, 'realtime_events_total', { event: 'x' }); 0 when absent. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
