import { availableParallelism } from 'node:os';
import { ConfigValidationError, loadConfig, parseDurationSeconds } from './app-config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ kind: 'sqlite', path: './data/realtime.db' });
    expect(config.jwt.expiresInSeconds).toBe(3600);
    expect(config.jwt.generated).toBe(true);
    expect(config.jwt.secret.length).toBeGreaterThanOrEqual(32);
    expect(config.presenceGraceMs).toBe(5000);
    expect(config.presenceTtlMs).toBe(15000);
    expect(config.corsOrigins).toBe(true);
    expect(config.redisUrl).toBeUndefined();
    expect(config.transport).toEqual({
      maxSocketBufferBytes: 2_097_152,
      pingIntervalMs: 25_000,
      pingTimeoutMs: 20_000,
      handshakeTimeoutMs: 5000,
    });
    expect(config.limits.connectionsPerUser).toBe(20);
    expect([config.rateLimit.userEventsPerSecond, config.rateLimit.userBurst]).toEqual([50, 100]);
  });

  it('names out-of-range connection limits', () => {
    const bad = { MAX_SOCKET_BUFFER_BYTES: '100', PING_INTERVAL_MS: '0', HANDSHAKE_TIMEOUT_MS: 'soon', MAX_CONNECTIONS_PER_USER: '0' };
    const message = (() => {
      try {
        loadConfig(bad);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    for (const name of Object.keys(bad)) expect(message).toContain(name);
    expect(() => loadConfig({ RATE_LIMIT_USER_BURST: '-1' })).toThrow(/RATE_LIMIT_USER_BURST/);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', JWT_EXPIRES_IN: 'soon', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const message = (error as Error).message;
    for (const name of ['PORT', 'DATABASE_URL', 'JWT_EXPIRES_IN', 'LOG_LEVEL']) expect(message).toContain(name);
  });

  it('refuses to start in production without JWT_SECRET', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', CORS_ORIGINS: '*' })).toThrow(/JWT_SECRET is required/);
  });

  it('reads postgres URLs and CORS lists', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      CORS_ORIGINS: 'https://a.example.com, http://localhost:5173',
      JWT_SECRET: 'x'.repeat(40),
    });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@127.0.0.1:5432/db' });
    expect(config.corsOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(config.jwt.generated).toBe(false);
  });
});

describe('loadConfig: password hashing, registrations, sessions', () => {
  it('defaults to one hash per core but one (1–4), a queue of 32, 20 registrations per hour, 30-day sessions, 100 per user', () => {
    const config = loadConfig({});
    const cores = availableParallelism();
    expect(config.passwordHash).toEqual({ concurrency: Math.max(1, Math.min(4, cores - 1)), queue: 32 });
    expect(config.registerPerIp).toBe(20);
    expect(config.sessions).toEqual({ ttlDays: 30, maxPerUser: 100 });
  });

  it('names each bad value', () => {
    const bad = {
      PASSWORD_HASH_CONCURRENCY: '0',
      PASSWORD_HASH_QUEUE: '-1',
      REGISTER_MAX_PER_IP: 'many',
      SESSION_TTL_DAYS: '0',
      MAX_SESSIONS_PER_USER: '1.5',
    };
    expect(() => loadConfig(bad)).toThrow(ConfigValidationError);
    try {
      loadConfig(bad);
    } catch (error) {
      for (const name of Object.keys(bad)) expect((error as Error).message).toContain(name);
    }
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    ['3600', 3600],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604800],
  ])('%s → %i', (input, seconds) => expect(parseDurationSeconds(input)).toBe(seconds));

  it.each(['', '0', '-1', '1w', 'h'])('rejects %p', (input) => expect(parseDurationSeconds(input)).toBeUndefined());

  it('reads the per-user modal caps and the last-seen interval, with their bounds', () => {
    const defaults = loadConfig({});
    expect(defaults.limits).toMatchObject({
      openModalsPerSession: 50,
      openModalsPerUser: 200,
      exclusiveModalsPerUser: 20,
      modalWatchesPerSocket: 1000,
    });
    expect(defaults.lastSeenFlushMs).toBe(60_000);
    const set = loadConfig({ MAX_OPEN_MODALS_PER_USER: '7', MAX_EXCLUSIVE_MODALS_PER_USER: '3', LAST_SEEN_FLUSH_MS: '1000' });
    expect(set.limits).toMatchObject({ openModalsPerUser: 7, exclusiveModalsPerUser: 3 });
    expect(set.lastSeenFlushMs).toBe(1000);
    const bad = () => loadConfig({ MAX_OPEN_MODALS_PER_USER: '0', MAX_EXCLUSIVE_MODALS_PER_USER: 'many', LAST_SEEN_FLUSH_MS: '10' });
    for (const name of ['MAX_OPEN_MODALS_PER_USER', 'MAX_EXCLUSIVE_MODALS_PER_USER', 'LAST_SEEN_FLUSH_MS']) expect(bad).toThrow(name);
  });
});

describe('loadConfig: identity provider', () => {
  const jwks = { JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json' };

  it('is off without JWT_JWKS_URL / JWT_PUBLIC_KEY, with the claim defaults when on', () => {
    expect(loadConfig({}).jwt.provider).toBeUndefined();
    expect(loadConfig({}).authLocal).toBe(true);
    expect(loadConfig({ ...jwks, AUTH_LOCAL: 'false' })).toMatchObject({
      authLocal: false,
      jwt: {
        provider: {
          jwksUrl: jwks.JWT_JWKS_URL,
          algorithms: ['RS256', 'ES256', 'EdDSA'],
          claims: { user: 'sub', username: 'preferred_username', name: 'name' },
        },
      },
    });
  });

  it.each([
    [{ ...jwks, JWT_ALGORITHMS: 'none' }, 'JWT_ALGORITHMS: "none" is not allowed'],
    [{ ...jwks, JWT_ALGORITHMS: 'HS256', JWT_ISSUER: 'i' }, 'HS256 needs JWT_SECRET'],
    [{ ...jwks, JWT_ALGORITHMS: 'HS256', JWT_SECRET: 's'.repeat(32) }, 'HS* needs JWT_ISSUER'],
    [{ JWT_ISSUER: 'https://idp.example' }, 'JWT_ISSUER needs JWT_JWKS_URL or JWT_PUBLIC_KEY'],
    [{ ...jwks, JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----x' }, 'not both'],
    [{ JWT_JWKS_URL: 'ftp://x' }, 'JWT_JWKS_URL must be an http(s) URL'],
    [{ AUTH_LOCAL: 'maybe' }, 'AUTH_LOCAL must be one of true, false'],
    [{ JWT_REFRESH_EXPIRES_IN: 'soon' }, 'JWT_REFRESH_EXPIRES_IN must be a positive duration'],
  ])('refuses %j', (env, problem) => {
    expect(() => loadConfig(env)).toThrow(problem);
  });
});

describe('server API and webhooks configuration', () => {
  const long = 'k'.repeat(32);

  it('is off by default', () => {
    const config = loadConfig({});
    expect(config.serverApi.keys).toEqual([]);
    expect(config.webhooks).toMatchObject({ urls: [], secret: undefined, retryHours: 24 });
    expect([...config.webhooks.events]).toHaveLength(10);
  });

  it('reads keys, URLs, the secret, the event filter and the retry window', () => {
    const config = loadConfig({
      SERVER_API_KEYS: `${long}, ${long}2`,
      WEBHOOK_URLS: 'https://a.example/hook,http://b.example:8080/x',
      WEBHOOK_SECRET: long,
      WEBHOOK_EVENTS: 'user.offline,message.created',
      WEBHOOK_RETRY_HOURS: '2',
    });
    expect(config.serverApi.keys).toEqual([long, `${long}2`]);
    expect(config.webhooks.urls).toEqual(['https://a.example/hook', 'http://b.example:8080/x']);
    expect([...config.webhooks.events]).toEqual(['user.offline', 'message.created']);
    expect(config.webhooks.retryHours).toBe(2);
  });

  it('names every bad variable at start', () => {
    const bad = () =>
      loadConfig({
        SERVER_API_KEYS: `${long},short`,
        WEBHOOK_URLS: 'ftp://nope',
        WEBHOOK_SECRET: 'too-short',
        WEBHOOK_EVENTS: 'user.online,user.exploded',
        WEBHOOK_RETRY_HOURS: '0',
      });
    for (const name of ['SERVER_API_KEYS', 'WEBHOOK_URLS', 'WEBHOOK_SECRET', 'user.exploded', 'WEBHOOK_RETRY_HOURS'])
      expect(bad).toThrow(name);
    expect(() => loadConfig({ WEBHOOK_URLS: 'https://a.example/hook' })).toThrow('WEBHOOK_SECRET is required');
  });
});
