import type { IncomingMessage } from 'node:http';
import type { ServerOptions } from 'socket.io';
import type { AppConfig } from '../../config/app-config';

/** socket.io's options from configuration: CORS and origins, limits, heartbeat, no per-message deflate. */
export function serverOptions(config: AppConfig, base?: Partial<ServerOptions>): Partial<ServerOptions> {
  return {
    ...base,
    path: '/socket.io',
    serveClient: false,
    cors: { origin: config.corsOrigins, credentials: true },
    // CORS headers alone do not stop a browser's websocket from another origin: refuse it here.
    allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) =>
      callback(null, originAllowed(config.corsOrigins, req)),
    maxHttpBufferSize: config.limits.maxPayloadBytes,
    perMessageDeflate: false,
    transports: ['websocket', 'polling'],
    pingInterval: config.transport.pingIntervalMs,
    pingTimeout: config.transport.pingTimeoutMs,
    connectTimeout: config.transport.handshakeTimeoutMs,
  };
}

/**
 * Browsers send `Origin`; it must be on CORS_ORIGINS or be this server itself (the demo page).
 * Clients without `Origin` (mobile apps, servers, tests) are not browsers and pass.
 */
export function originAllowed(allowed: AppConfig['corsOrigins'], req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (allowed === true || !origin) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
