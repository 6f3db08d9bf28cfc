import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../contracts/webhooks';

/**
 * Typed, validated configuration. Built once from the environment (README, Configuration) by
 * `loadConfig`; every bad variable is reported at once so an operator fixes them in one go.
 */
export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  /** Address to listen on (HOST); undefined: every interface. */
  host?: string;
  jwt: {
    secret: string;
    /** True when no JWT_SECRET was given and one was generated for this process. */
    generated: boolean;
    expiresInSeconds: number;
    /** Lifetime of a refresh token (JWT_REFRESH_EXPIRES_IN); each use gives a new one. */
    refreshExpiresInSeconds: number;
    /** The deployment's identity provider (JWT_JWKS_URL or JWT_PUBLIC_KEY); unset: own tokens only. */
    provider?: ProviderConfig;
    /** JWT_JWKS_REFETCH_MS: fewest milliseconds between two JWKS fetches (an unknown `kid` asks for one). */
    jwksRefetchMs: number;
  };
  /** AUTH_LOCAL: the service's own /auth/register and /auth/login (false: both answer 404). */
  authLocal: boolean;
  database: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  redisUrl?: string;
  /** Prefix of every Redis key and channel, so deployments (or test runs) can share one Redis. */
  redisKeyPrefix: string;
  /** Allowed CORS origins; `true` allows any origin (development default). */
  corsOrigins: string[] | true;
  presenceGraceMs: number;
  presenceTtlMs: number;
  /** How often each instance writes last seen = now for the users it holds (the bound after a crash). */
  lastSeenFlushMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  limits: {
    messageMaxLength: number;
    /** socket.io `maxHttpBufferSize` and the REST JSON body limit. */
    maxPayloadBytes: number;
    /** Rooms a user may create or join themselves; also the allowance of rooms others add them to, and of pending invites. */
    roomsPerUser: number;
    /** Presence subscriptions (named users, plus one for `all`) one socket may hold. */
    subscriptionsPerSocket: number;
    /** Modals one session (tab) may have open at once. */
    openModalsPerSession: number;
    /** Modals one user may have open across all of their sessions. */
    openModalsPerUser: number;
    /** Modals one user may hold exclusively at once. */
    exclusiveModalsPerUser: number;
    /** Modal ids plus prefixes one socket may watch (MAX_MODAL_WATCHES). */
    modalWatchesPerSocket: number;
    /** Open sockets per user across every instance (MAX_CONNECTIONS_PER_USER). */
    connectionsPerUser: number;
  };
  /** engine.io / socket.io connection limits (wire). */
  transport: {
    /** Unsent data a socket may have queued before it is disconnected (MAX_SOCKET_BUFFER_BYTES). */
    maxSocketBufferBytes: number;
    /** engine.io heartbeat: ping every `pingIntervalMs`, drop when no pong within `pingTimeoutMs`. */
    pingIntervalMs: number;
    pingTimeoutMs: number;
    /** A connection without a completed socket.io handshake is closed after this (socket.io connectTimeout). */
    handshakeTimeoutMs: number;
  };
  rateLimit: {
    /** Events a socket may send per second, sustained (token bucket refill). */
    eventsPerSecond: number;
    /** Events a socket may send at once (bucket size). */
    burst: number;
    /** Refused events in a row after which the socket is disconnected. */
    disconnectAfter: number;
    /** Events one user may send per second across all of their sockets and instances, sustained. */
    userEventsPerSecond: number;
    /** Events one user may send at once across all of their sockets and instances. */
    userBurst: number;
    /** Failed logins per username and IP per 15 minutes. */
    loginPerUser: number;
    /** Login attempts per IP per 15 minutes. */
    loginPerIp: number;
  };
  /** scrypt work at once and waiting (past both: RATE_LIMITED), so hashing never fills libuv's threadpool. */
  passwordHash: { concurrency: number; queue: number };
  /** Registrations per client address per hour. */
  registerPerIp: number;
  sessions: {
    /** A session not used for this many days is deleted and cannot be resumed. */
    ttlDays: number;
    /** Stored sessions per user; the least recently used beyond it are deleted. */
    maxPerUser: number;
  };
  /** Express `trust proxy`: hops (number) or a list like "loopback, 10.0.0.0/8"; unset trusts none. */
  trustProxy?: number | string;
  /** Milliseconds an instance waits for in-flight work on SIGTERM before it exits. */
  shutdownTimeoutMs: number;
  /** Operations (README, Run in production). */
  ops: {
    /** `json` (one object per line) or `pretty` (pino-pretty, for people at a terminal). */
    logFormat: 'json' | 'pretty';
    /** /docs, /docs-json, /asyncapi, /asyncapi.json (DOCS_ENABLED). */
    docsEnabled: boolean;
    /** The demo page at / and its /vendor files (DEMO_ENABLED). */
    demoEnabled: boolean;
    /** When set, /metrics wants `Authorization: Bearer <token>` (METRICS_TOKEN). */
    metricsToken?: string;
    /** When set, /metrics is served on this port only, not on PORT (METRICS_PORT). */
    metricsPort?: number;
    /** On SIGTERM, /health/ready answers 503 this long before the hand-over starts (DRAIN_DELAY_MS). */
    drainDelayMs: number;
  };
  /** The app backend's `/server/v1/*` API: off (routes answer 404) unless SERVER_API_KEYS is set. */
  serverApi: { keys: string[] };
  /** Outgoing webhooks: off unless WEBHOOK_URLS and WEBHOOK_SECRET are both set. */
  webhooks: WebhookConfig;
}

export interface WebhookConfig {
  urls: string[];
  secret?: string;
  /** The types delivered (WEBHOOK_EVENTS; default all). */
  events: ReadonlySet<WebhookEventType>;
  /** How long an undelivered event is retried before it is dropped. */
  retryHours: number;
  /** First retry delay; doubles per attempt up to WEBHOOK_RETRY_MAX_MS. */
  retryMinMs: number;
  retryMaxMs: number;
  /** How often each instance looks for due deliveries (a local change is sent at once anyway). */
  pollMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
}

/** Signature algorithms a provider token may use; `none` is never one of them. */
export const PROVIDER_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
const SECRET_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

export interface ProviderConfig {
  jwksUrl?: string;
  /** PEM (SPKI) public key, instead of a JWKS. */
  publicKey?: string;
  issuer?: string;
  audience?: string[];
  /** JWT_ALGORITHMS; HS* only when JWT_SECRET is set (the provider then signs with that secret). */
  algorithms: string[];
  claims: { user: string; username: string; name: string };
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const NODE_ENVS = ['development', 'production', 'test'] as const;
const LOG_FORMATS = ['json', 'pretty'] as const;
const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `3600`, `90s`, `15m`, `1h`, `7d` → seconds. */
export function parseDurationSeconds(value: string): number | undefined {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * (match[2] ? DURATION_UNITS[match[2]] : 1);
  return seconds > 0 ? seconds : undefined;
}

export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  };

  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${str(name)}")`);
    return fallback;
  };

  const nodeEnv = oneOf('NODE_ENV', NODE_ENVS, 'development');
  const port = int('PORT', 3000, 0, 65535);
  const metricsPortRaw = str('METRICS_PORT');
  const metricsPort = metricsPortRaw === undefined ? undefined : int('METRICS_PORT', 0, 1, 65535);
  if (metricsPort !== undefined && metricsPort === port && port !== 0) problems.push('METRICS_PORT must differ from PORT');
  const metricsToken = str('METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) problems.push('METRICS_TOKEN must be at least 16 characters');
  // Pretty logs for a person at a terminal; anything collected (a pipe, a container) gets JSON.
  const logFormat = oneOf('LOG_FORMAT', LOG_FORMATS, nodeEnv === 'development' && process.stdout.isTTY ? 'pretty' : 'json');

  let secret = str('JWT_SECRET');
  let generated = false;
  if (secret === undefined) {
    if (nodeEnv === 'production') problems.push('JWT_SECRET is required when NODE_ENV=production');
    secret = randomBytes(32).toString('base64url');
    generated = true;
  } else if (secret.length < 32 && nodeEnv === 'production') {
    problems.push('JWT_SECRET must be at least 32 characters when NODE_ENV=production');
  }

  const expiresRaw = str('JWT_EXPIRES_IN') ?? '1h';
  const expiresInSeconds = parseDurationSeconds(expiresRaw);
  if (expiresInSeconds === undefined) {
    problems.push(`JWT_EXPIRES_IN must be a positive duration like 3600, 15m, 1h or 7d (got "${expiresRaw}")`);
  }

  const refreshRaw = str('JWT_REFRESH_EXPIRES_IN') ?? '30d';
  const refreshExpiresInSeconds = parseDurationSeconds(refreshRaw);
  if (refreshExpiresInSeconds === undefined) {
    problems.push(`JWT_REFRESH_EXPIRES_IN must be a positive duration like 3600, 15m, 1h or 30d (got "${refreshRaw}")`);
  }
  const provider = loadProvider(str, !generated, problems);
  const authLocal = oneOf('AUTH_LOCAL', ['true', 'false'] as const, 'true') === 'true';

  const databaseUrl = str('DATABASE_URL') ?? 'sqlite:./data/realtime.db';
  let database: AppConfig['database'] = { kind: 'sqlite', path: './data/realtime.db' };
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length);
    if (path === '') problems.push('DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/realtime.db');
    database = { kind: 'sqlite', path };
  } else if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    database = { kind: 'postgres', url: databaseUrl };
  } else {
    problems.push('DATABASE_URL must start with sqlite: or postgres://');
  }

  const redisUrl = str('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push('REDIS_URL must start with redis:// or rediss://');
  }

  const corsRaw = str('CORS_ORIGINS');
  let corsOrigins: string[] | true = true;
  if (corsRaw !== undefined && corsRaw !== '*') {
    corsOrigins = corsRaw
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    const bad = corsOrigins.filter((o) => !/^https?:\/\/[^/\s]+$/.test(o));
    if (bad.length) problems.push(`CORS_ORIGINS entries must be origins like https://app.example.com (bad: ${bad.join(', ')})`);
  } else if (corsRaw === undefined && nodeEnv === 'production') {
    // An open CORS policy in production is a decision an operator makes explicitly with "*".
    corsOrigins = [];
  }

  const trustRaw = str('TRUST_PROXY');
  const trustProxy = trustRaw === undefined ? undefined : /^\d+$/.test(trustRaw) ? Number(trustRaw) : trustRaw;

  const serverKeys = (str('SERVER_API_KEYS') ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (serverKeys.some((k) => k.length < 32)) problems.push('SERVER_API_KEYS entries must each be at least 32 characters');

  const webhookUrls = (str('WEBHOOK_URLS') ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  const badUrls = webhookUrls.filter((u) => !/^https?:\/\/[^\s]+$/.test(u));
  if (badUrls.length) problems.push(`WEBHOOK_URLS entries must be http(s) URLs (bad: ${badUrls.join(', ')})`);
  const webhookSecret = str('WEBHOOK_SECRET');
  if (webhookSecret !== undefined && webhookSecret.length < 32) problems.push('WEBHOOK_SECRET must be at least 32 characters');
  if (webhookUrls.length && webhookSecret === undefined) problems.push('WEBHOOK_SECRET is required when WEBHOOK_URLS is set');
  const eventsRaw = str('WEBHOOK_EVENTS');
  const webhookEvents = new Set<WebhookEventType>(WEBHOOK_EVENT_TYPES);
  if (eventsRaw !== undefined && eventsRaw !== '*') {
    webhookEvents.clear();
    for (const name of eventsRaw
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      if ((WEBHOOK_EVENT_TYPES as readonly string[]).includes(name)) webhookEvents.add(name as WebhookEventType);
      else problems.push(`WEBHOOK_EVENTS: unknown type "${name}" (known: ${WEBHOOK_EVENT_TYPES.join(', ')})`);
    }
  }

  const config: AppConfig = {
    trustProxy,
    nodeEnv,
    port,
    host: str('HOST'),
    ops: {
      logFormat,
      docsEnabled: bool('DOCS_ENABLED', true),
      demoEnabled: bool('DEMO_ENABLED', true),
      metricsToken,
      metricsPort,
      drainDelayMs: int('DRAIN_DELAY_MS', 0, 0, 600_000),
    },
    jwt: {
      secret,
      generated,
      expiresInSeconds: expiresInSeconds ?? 3600,
      refreshExpiresInSeconds: refreshExpiresInSeconds ?? 30 * 86400,
      provider,
      jwksRefetchMs: int('JWT_JWKS_REFETCH_MS', 30_000, 0, 86_400_000),
    },
    authLocal,
    database,
    redisUrl,
    redisKeyPrefix: str('REDIS_KEY_PREFIX') ?? 'realtime',
    corsOrigins,
    presenceGraceMs: int('PRESENCE_GRACE_MS', 5000, 0, 3_600_000),
    presenceTtlMs: int('PRESENCE_TTL_MS', 15000, 1000, 3_600_000),
    lastSeenFlushMs: int('LAST_SEEN_FLUSH_MS', 60_000, 1000, 3_600_000),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    limits: {
      messageMaxLength: int('MESSAGE_MAX_LENGTH', 4000, 1, 100_000),
      maxPayloadBytes: int('MAX_PAYLOAD_BYTES', 65_536, 1024, 16_777_216),
      roomsPerUser: int('MAX_ROOMS_PER_USER', 500, 1, 1_000_000),
      subscriptionsPerSocket: int('MAX_PRESENCE_SUBSCRIPTIONS', 2000, 1, 1_000_000),
      openModalsPerSession: int('MAX_OPEN_MODALS', 50, 1, 1_000_000),
      openModalsPerUser: int('MAX_OPEN_MODALS_PER_USER', 200, 1, 1_000_000),
      exclusiveModalsPerUser: int('MAX_EXCLUSIVE_MODALS_PER_USER', 20, 1, 1_000_000),
      modalWatchesPerSocket: int('MAX_MODAL_WATCHES', 1000, 1, 1_000_000),
      connectionsPerUser: int('MAX_CONNECTIONS_PER_USER', 20, 1, 100_000),
    },
    transport: {
      maxSocketBufferBytes: int('MAX_SOCKET_BUFFER_BYTES', 2_097_152, 16_384, 1_073_741_824),
      pingIntervalMs: int('PING_INTERVAL_MS', 25_000, 100, 600_000),
      pingTimeoutMs: int('PING_TIMEOUT_MS', 20_000, 100, 600_000),
      handshakeTimeoutMs: int('HANDSHAKE_TIMEOUT_MS', 5000, 100, 600_000),
    },
    rateLimit: {
      eventsPerSecond: int('RATE_LIMIT_EVENTS_PER_SEC', 20, 1, 1_000_000),
      burst: int('RATE_LIMIT_BURST', 40, 1, 1_000_000),
      disconnectAfter: int('RATE_LIMIT_DISCONNECT_AFTER', 200, 1, 1_000_000),
      userEventsPerSecond: int('RATE_LIMIT_USER_EVENTS_PER_SEC', 50, 1, 1_000_000),
      userBurst: int('RATE_LIMIT_USER_BURST', 100, 1, 1_000_000),
      loginPerUser: int('LOGIN_MAX_FAILURES', 10, 1, 1_000_000),
      loginPerIp: int('LOGIN_MAX_PER_IP', 100, 1, 1_000_000),
    },
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    serverApi: { keys: serverKeys },
    webhooks: {
      urls: webhookUrls,
      secret: webhookSecret,
      events: webhookEvents,
      retryHours: int('WEBHOOK_RETRY_HOURS', 24, 1, 24 * 30),
      retryMinMs: int('WEBHOOK_RETRY_MIN_MS', 5000, 10, 3_600_000),
      retryMaxMs: int('WEBHOOK_RETRY_MAX_MS', 3_600_000, 10, 86_400_000),
      pollMs: int('WEBHOOK_POLL_MS', 1000, 10, 600_000),
      timeoutMs: int('WEBHOOK_TIMEOUT_MS', 10_000, 100, 600_000),
    },
    // One core fewer than the machine has (at most 4, libuv's pool size) leaves a core to the event loop.
    passwordHash: {
      concurrency: int('PASSWORD_HASH_CONCURRENCY', Math.max(1, Math.min(4, availableParallelism() - 1)), 1, 64),
      queue: int('PASSWORD_HASH_QUEUE', 32, 0, 10_000),
    },
    registerPerIp: int('REGISTER_MAX_PER_IP', 20, 1, 1_000_000),
    sessions: {
      ttlDays: int('SESSION_TTL_DAYS', 30, 1, 3650),
      maxPerUser: int('MAX_SESSIONS_PER_USER', 100, 1, 100_000),
    },
  };
  if (problems.length) throw new ConfigValidationError(problems);
  return config;
}

/** The JWT_* variables of an identity provider; undefined when neither JWT_JWKS_URL nor JWT_PUBLIC_KEY is set. */
function loadProvider(str: (name: string) => string | undefined, hasSecret: boolean, problems: string[]): ProviderConfig | undefined {
  const jwksUrl = str('JWT_JWKS_URL');
  // A PEM in one environment line usually comes with literal "\n"s.
  const publicKey = str('JWT_PUBLIC_KEY')?.replace(/\\n/g, '\n');
  const algorithmsRaw = str('JWT_ALGORITHMS');
  if (!jwksUrl && !publicKey) {
    for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE'])
      if (str(name)) problems.push(`${name} needs JWT_JWKS_URL or JWT_PUBLIC_KEY (an identity provider) to mean anything`);
    return undefined;
  }
  if (jwksUrl && publicKey) problems.push('set JWT_JWKS_URL or JWT_PUBLIC_KEY, not both');
  if (jwksUrl && !/^https?:\/\/\S+$/.test(jwksUrl)) problems.push(`JWT_JWKS_URL must be an http(s) URL (got "${jwksUrl}")`);
  if (publicKey && !publicKey.includes('-----BEGIN PUBLIC KEY-----'))
    problems.push('JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
  const algorithms = (algorithmsRaw ?? 'RS256,ES256,EdDSA')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (const algorithm of algorithms) {
    if ((SECRET_ALGORITHMS as readonly string[]).includes(algorithm)) {
      if (!hasSecret) problems.push(`JWT_ALGORITHMS: ${algorithm} needs JWT_SECRET (the secret the provider signs with)`);
    } else if (!(PROVIDER_ALGORITHMS as readonly string[]).includes(algorithm)) {
      problems.push(
        `JWT_ALGORITHMS: "${algorithm}" is not allowed (one of ${[...PROVIDER_ALGORITHMS, ...SECRET_ALGORITHMS].join(', ')}; never none)`,
      );
    }
  }
  const issuer = str('JWT_ISSUER');
  // Own tokens are HS256 too: a provider's HS* token is told apart by its issuer.
  if (!issuer && algorithms.some((a) => a.startsWith('HS'))) problems.push('JWT_ALGORITHMS with HS* needs JWT_ISSUER');
  const audience = str('JWT_AUDIENCE')
    ?.split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  return {
    jwksUrl,
    publicKey,
    issuer,
    audience: audience?.length ? audience : undefined,
    algorithms,
    claims: {
      user: str('JWT_USER_CLAIM') ?? 'sub',
      username: str('JWT_USERNAME_CLAIM') ?? 'preferred_username',
      name: str('JWT_NAME_CLAIM') ?? 'name',
    },
  };
}
