/**
 * A minimal socket.io client (engine.io protocol v4, socket.io protocol v5, websocket transport
 * only, text packets only, default namespace) on top of `ws`.
 *
 * Why not socket.io-client: the load generator shares one core with thousands of clients and
 * must not become the bottleneck it is supposed to measure. socket.io-client costs several times
 * more CPU and memory per socket and per packet (engine.io-client + parser + emitter layers);
 * this client costs one `ws` socket plus a few string checks per frame, and lets a scenario count
 * frames by prefix without JSON-parsing them. `smokeCheckWithSocketIoClient` in load.ts checks
 * once per run with the real socket.io-client that both servers speak the same protocol.
 *
 * Wire format used here:
 *   server → client  `0{...}` open, `2` ping (answered `3`), `40{"sid":..}` connected,
 *                    `44{"message":..,"data":..}` connect_error, `42[event,payload]` event,
 *                    `43<id>[response]` ack, `41` disconnect.
 *   client → server  `40<json auth>` connect, `42<id>[event,payload]` event with ack.
 */
import WebSocket from 'ws';

// Frames carry the server's JSON as is; scenarios read the few fields they know.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Ack = { ok: true; data: any } | { ok: false; error: { code: string; message: string; details?: unknown } };

export interface WireSocketOptions {
  url: string; // http://127.0.0.1:port
  auth: Record<string, unknown>;
  /** Resolve `connect()` when this server event arrives (default: `session`), or on `40` with 'connect'. */
  readyOn?: string;
  timeoutMs?: number;
}

export class ConnectError extends Error {
  constructor(
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export class WireSocket {
  /** Called for every server event frame (`42...`) before any parsing; return true to skip parsing. */
  onRaw?: (frame: string) => boolean;
  /** Called with the parsed event when `onRaw` did not consume it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onEvent?: (event: string, payload: any) => void;
  frames = 0;
  connected = false;
  closed = false;
  private nextId = 0;
  private readonly acks = new Map<number, (ack: Ack) => void>();

  constructor(readonly ws: WebSocket) {}

  /** Emits `event` with an ack callback. */
  emit(event: string, payload: unknown, onAck?: (ack: Ack) => void): void {
    if (this.closed) {
      onAck?.({ ok: false, error: { code: 'CLOSED', message: 'socket closed' } });
      return;
    }
    if (onAck) {
      const id = this.nextId++;
      this.acks.set(id, onAck);
      this.ws.send(`42${id}${JSON.stringify([event, payload])}`);
    } else {
      this.ws.send(`42${JSON.stringify([event, payload])}`);
    }
  }

  emitWithAck(event: string, payload: unknown, timeoutMs = 30_000): Promise<Ack> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ ok: false, error: { code: 'TIMEOUT', message: `no ack for ${event}` } }), timeoutMs);
      this.emit(event, payload, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
    });
  }

  /** Handles one engine.io packet; returns the socket.io packet type handled, if any. */
  handle(frame: string): void {
    this.frames++;
    const c0 = frame.charCodeAt(0);
    if (c0 === 50 /* '2' ping */) {
      this.ws.send('3');
      return;
    }
    if (c0 !== 52 /* '4' message */) return;
    const c1 = frame.charCodeAt(1);
    if (c1 === 50 /* '2' event */) {
      if (this.onRaw?.(frame)) return;
      if (this.onEvent) {
        const [event, payload] = JSON.parse(frame.slice(2)) as [string, unknown];
        this.onEvent(event, payload);
      }
    } else if (c1 === 51 /* '3' ack */) {
      const bracket = frame.indexOf('[');
      const id = Number(frame.slice(2, bracket));
      const cb = this.acks.get(id);
      if (cb) {
        this.acks.delete(id);
        cb((JSON.parse(frame.slice(bracket)) as [Ack])[0]);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    for (const [id, cb] of this.acks) {
      this.acks.delete(id);
      cb({ ok: false, error: { code: 'CLOSED', message: 'socket closed' } });
    }
    try {
      this.ws.close();
    } catch {
      this.ws.terminate();
    }
  }

  /** Closes without the closing handshake (fast, for tearing down thousands of sockets). */
  terminate(): void {
    this.closed = true;
    this.connected = false;
    this.acks.clear();
    this.ws.terminate();
  }
}

/** Opens a socket and resolves once the server emitted `readyOn` (default `session`). */
export function connect(options: WireSocketOptions): Promise<WireSocket> {
  const readyOn = options.readyOn ?? 'session';
  const url = `${options.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const socket = new WireSocket(ws);
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.terminate();
      reject(error);
    };
    const timer = setTimeout(() => fail(new ConnectError('timeout')), options.timeoutMs ?? 20_000);
    const readyPrefix = `42["${readyOn}"`;
    ws.on('message', (raw: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) return;
      const frame = (raw as Buffer).toString();
      if (settled) {
        socket.handle(frame);
        return;
      }
      // Handshake phase.
      socket.frames++;
      if (frame.charCodeAt(0) === 48 /* '0' open */) {
        ws.send(`40${JSON.stringify(options.auth)}`);
      } else if (frame.startsWith('40')) {
        socket.connected = true;
        if (readyOn === 'connect') {
          settled = true;
          clearTimeout(timer);
          resolve(socket);
        }
      } else if (frame.startsWith('44')) {
        const body = JSON.parse(frame.slice(2)) as { message: string; data?: unknown };
        fail(new ConnectError(body.message, body.data));
      } else if (frame.startsWith(readyPrefix)) {
        settled = true;
        clearTimeout(timer);
        resolve(socket);
      } else if (frame === '2') {
        ws.send('3');
      }
    });
    ws.on('error', (err: Error) => fail(err));
    ws.on('close', () => {
      socket.closed = true;
      socket.connected = false;
      fail(new ConnectError('closed before ready'));
    });
  });
}
