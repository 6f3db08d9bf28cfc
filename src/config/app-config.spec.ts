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

describe('parseDurationSeconds', () => {
  it.each([
    ['3600', 3600],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604800],
  ])('%s → %i', (input, seconds) => expect(parseDurationSeconds(input)).toBe(seconds));

  it.each(['', '0', '-1', '1w', 'h'])('rejects %p', (input) => expect(parseDurationSeconds(input)).toBeUndefined());
});
