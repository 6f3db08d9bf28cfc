import type { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { AppServer, AppSocket } from '../socket.types';

const GUARD = Symbol('connectionGuard');

/**
 * The parts of engine.io 6 this guard relies on (node_modules/engine.io/build/socket.js and
 * transports/websocket.js), typed structurally because engine.io declares most of them private.
 */
interface EnginePacket {
  type: string;
  data?: { length: number };
}
interface EngineTransport extends EventEmitter {
  name: string;
  /** The `ws` WebSocket of the websocket transport (absent on polling); `_socket` is its TCP socket. */
  socket?: { bufferedAmount: number; terminate(): void; _socket?: { resetAndDestroy?(): unknown } };
  /** Transports deliver every received packet through `this.onPacket` (Transport#onData, Polling#onData). */
  onPacket: (this: EngineTransport, packet: EnginePacket) => void;
  [GUARD]?: GuardState;
}
interface EngineConnection extends EventEmitter {
  id: string;
  readyState: string;
  transport: EngineTransport;
  close(discard?: boolean): void;
  [GUARD]?: GuardState;
}

interface GuardState {
  guard: ConnectionGuard;
  /** Data of the packets created since engine.io last handed its write buffer to the transport. */
  queued: number;
  /** The server sent a ping that was not answered yet: only then does a pong count. */
  pingOutstanding: boolean;
  /** The client sent a pong with no ping outstanding: its pongs no longer count. */
  blindPongs: boolean;
  /** Disconnected for a full buffer (or a handshake timeout); nothing more to check. */
  cut: boolean;
  handshakeTimer?: NodeJS.Timeout;
  /** The socket.io socket, once the handshake completed (for logs). */
  socket?: AppSocket;
}

export interface ConnectionGuardOptions {
  /** MAX_SOCKET_BUFFER_BYTES: unsent data (engine.io write buffer + ws/TCP user-space buffer) allowed per connection. */
  maxBufferBytes: number;
  /** HANDSHAKE_TIMEOUT_MS: a connection without a connected socket.io socket by then is cut. */
  handshakeTimeoutMs: number;
  onSlowConsumer?(): void;
  onHandshakeTimeout?(): void;
}

/**
 * Transport-level protection of every engine.io connection (one per client):
 *
 * - **Outgoing buffer cap.** A client that stops reading (a phone in a pocket) makes the server
 *   buffer everything owed to it: the websocket transport is not writable until the previous
 *   write was flushed to the kernel, so packets pile up in engine.io's `writeBuffer`, and what was
 *   already handed to `ws` waits in `ws.bufferedAmount` (net.Socket buffer + ws sender queue).
 *   engine.io emits `packetCreate` for every packet (broadcasts too, per recipient) and `flush`
 *   when it hands its buffer to the transport, so a running sum of the packets since the last
 *   flush plus `bufferedAmount` is the unsent data, at a few property reads per packet. Past the
 *   cap the connection is destroyed at once: `ws.terminate()` frees the TCP buffers now (engine's
 *   `close()` would wait for a 'drain' and ws's `close()` for a close handshake that a stalled
 *   peer never sends), and `close(true)` discards engine.io's buffer. Long-polling connections
 *   that stop polling grow the same write buffer and are cut the same way. Sizes are string
 *   lengths of the encoded packets (bytes for ASCII JSON; at most 3 bytes each otherwise).
 * - **Only solicited pongs count.** engine.io resets its heartbeat on any pong, so a client that
 *   sends pongs without reading would never time out. A pong is passed on only while a ping the
 *   server sent (seen in `packetCreate`) is unanswered, and never again from a client that sent
 *   one unasked (a real client pongs once per ping; blind pongs would otherwise "answer" every
 *   ping they happen to follow), so such a client is dropped by the ping timeout. The filter
 *   replaces the transport's `onPacket` (engine.io binds `Socket#onPacket` to the transport's
 *   'packet' event at `setTransport`, so wrapping the socket method would change nothing), and
 *   again on the new transport after an upgrade. A connection dropped by the ping timeout is
 *   terminated too, for the same reason as above.
 * - **Handshake timeout.** A connection that has no socket.io socket (CONNECT never sent, or
 *   never authenticated) after HANDSHAKE_TIMEOUT_MS is cut. socket.io's own `connectTimeout`
 *   (set to the same value) only closes gracefully, which a non-reading client holds open.
 */
export class ConnectionGuard {
  private readonly logger = new Logger('ConnectionGuard');

  constructor(private readonly options: ConnectionGuardOptions) {}

  get maxBufferBytes(): number {
    return this.options.maxBufferBytes;
  }

  attach(server: AppServer): void {
    const engine = server.engine as unknown as EventEmitter;
    // Before socket.io's own listener, so this handshake timer fires before its connectTimeout.
    engine.prependListener('connection', (conn: EngineConnection) => this.watch(conn));
    // engine.io emits 'flush' on the server too: one listener for all connections, none per connection.
    engine.on('flush', onFlush);
    server.on('connection', (socket) => {
      const state = (socket.conn as unknown as EngineConnection)[GUARD];
      if (!state) return;
      clearTimeout(state.handshakeTimer);
      state.handshakeTimer = undefined;
      state.socket ??= socket;
    });
  }

  private watch(conn: EngineConnection): void {
    const state: GuardState = { guard: this, queued: 0, pingOutstanding: false, blindPongs: false, cut: false };
    state.handshakeTimer = setTimeout(() => this.handshakeTimedOut(conn, state), this.options.handshakeTimeoutMs);
    state.handshakeTimer.unref();
    conn[GUARD] = state;
    conn.on('packetCreate', onPacketCreate);
    // Only a long-polling connection can upgrade (to websocket).
    if (conn.transport.name === 'polling') conn.on('upgrade', onUpgrade);
    conn.on('close', onClose); // not `once`: its wrapper costs more memory, and 'close' is emitted once anyway
    filterPongs(conn, conn.transport);
  }

  /** @internal Called from the packet hook when the unsent data passed the cap. */
  overflow(conn: EngineConnection, state: GuardState, bytes: number): void {
    state.cut = true;
    this.options.onSlowConsumer?.();
    const socket = state.socket;
    this.logger.debug(
      {
        socketId: socket?.id,
        sessionId: socket?.data.sessionId,
        userId: socket?.data.user?.id,
        connectionId: conn.id,
        transport: conn.transport.name,
        bufferedBytes: bytes,
        limit: this.options.maxBufferBytes,
      },
      'slow consumer: unsent data over MAX_SOCKET_BUFFER_BYTES; connection destroyed',
    );
    destroy(conn);
  }

  private handshakeTimedOut(conn: EngineConnection, state: GuardState): void {
    state.handshakeTimer = undefined;
    if (conn.readyState === 'closed' || state.cut) return;
    state.cut = true;
    this.options.onHandshakeTimeout?.();
    this.logger.debug({ connectionId: conn.id }, 'no socket.io handshake within HANDSHAKE_TIMEOUT_MS; connection destroyed');
    destroy(conn);
  }
}

/** Frees the connection now: the TCP socket is reset, engine.io's buffer discarded. */
function destroy(conn: EngineConnection): void {
  abort(conn.transport);
  // Not from inside engine.io's sendPacket (this may run in its packetCreate): next tick.
  process.nextTick(() => conn.close(true));
}

/**
 * Ends the TCP connection with a reset: a plain close would leave the unsent data and the FIN in
 * the kernel's send buffer, retried against the peer's zero window for minutes (kernel memory the
 * process no longer sees), and the peer would still think it is connected.
 */
function abort(transport: EngineTransport): void {
  transport.socket?._socket?.resetAndDestroy?.();
  transport.socket?.terminate();
}

// Listeners shared by every connection (`this` is the engine.io socket), so a connection costs
// one small state object, not a set of closures.

function onPacketCreate(this: EngineConnection, packet: EnginePacket): void {
  const state = this[GUARD]!;
  if (packet.type === 'ping') state.pingOutstanding = true;
  const data = packet.data;
  if (data !== undefined) state.queued += data.length;
  if (state.cut) return;
  const ws = this.transport.socket;
  const unsent = ws === undefined ? state.queued : state.queued + ws.bufferedAmount;
  if (unsent > state.guard.maxBufferBytes) state.guard.overflow(this, state, unsent);
}

function onFlush(conn: EngineConnection): void {
  // The write buffer went to the transport: from now on it is in ws.bufferedAmount (or sent).
  const state = conn[GUARD];
  if (state) state.queued = 0;
}

function onUpgrade(this: EngineConnection, transport: EngineTransport): void {
  filterPongs(this, transport);
}

function onClose(this: EngineConnection, reason: string): void {
  const state = this[GUARD]!;
  clearTimeout(state.handshakeTimer);
  state.handshakeTimer = undefined;
  // A peer that missed its pong may well not read either: do not wait for a close handshake.
  if (reason === 'ping timeout') abort(this.transport);
}

/** Replaces the transport's `onPacket` with `filteredOnPacket` (shared; the state is a property, not a closure). */
function filterPongs(conn: EngineConnection, transport: EngineTransport): void {
  transport[GUARD] = conn[GUARD];
  transport.onPacket = filteredOnPacket;
}

function filteredOnPacket(this: EngineTransport, packet: EnginePacket): void {
  if (packet.type === 'pong') {
    const state = this[GUARD]!;
    // A real client pongs once per ping; one that pongs unasked is pinging blind (maybe without
    // reading at all), so none of its pongs count any more and the ping timeout decides.
    if (!state.pingOutstanding) state.blindPongs = true;
    if (state.blindPongs) return;
    state.pingOutstanding = false;
  }
  // engine.io's own delivery (Transport#onPacket: emit 'packet'), which this own property shadows.
  (Object.getPrototypeOf(this) as EngineTransport).onPacket.call(this, packet);
}
