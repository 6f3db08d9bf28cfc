import { generateKeyPairSync } from 'node:crypto';
import { ProviderKeys } from './provider-keys';

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });

describe('ProviderKeys', () => {
  let served: object[];
  let down: boolean;
  let resolveGate: (() => void) | undefined;
  const fetchMock = jest.spyOn(global, 'fetch');
  beforeEach(() => {
    served = [{ ...rsa(), kid: 'a' }];
    down = false;
    fetchMock.mockReset().mockImplementation(async () => {
      if (resolveGate) await new Promise<void>((resolve) => (resolveGate = resolve));
      if (down) return new Response('', { status: 503 });
      return new Response(JSON.stringify({ keys: served }), { status: 200 });
    });
  });
  afterAll(() => fetchMock.mockRestore());

  const keys = (refetchIntervalMs = 60_000) =>
    new ProviderKeys({ url: 'http://idp.invalid/jwks', refetchIntervalMs, maxAgeMs: 600_000, timeoutMs: 1000 });

  it('fetches once for many first callers, and not again for a flood of unknown kids', async () => {
    const cache = keys();
    resolveGate = () => undefined;
    const waiting = Promise.all(Array.from({ length: 20 }, () => cache.keyFor('a')));
    await new Promise((r) => setImmediate(r));
    resolveGate();
    resolveGate = undefined;
    expect((await waiting).every(Boolean)).toBe(true);
    for (let i = 0; i < 50; i++) expect(await cache.keyFor(`bogus-${i}`)).toBeUndefined();
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('picks up a rotated-in key on an unknown kid once the interval passed, and keeps known keys through an outage', async () => {
    const cache = keys(0);
    expect(await cache.keyFor('a')).toBeDefined();
    served = [...served, { ...rsa(), kid: 'b' }];
    expect(await cache.keyFor('b')).toBeDefined();
    down = true;
    expect(await cache.keyFor('c')).toBeUndefined();
    expect(await cache.keyFor('a')).toBeDefined();
    expect(await cache.keyFor('b')).toBeDefined();
  });

  it('reads only asymmetric signing keys; a token without kid takes the only key', async () => {
    served = [{ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }, { ...rsa(), kid: 'enc', use: 'enc' }, { ...rsa() }];
    const cache = keys();
    expect(await cache.keyFor('hmac')).toBeUndefined();
    expect(await cache.keyFor('enc')).toBeUndefined();
    expect(await cache.keyFor(undefined)).toBeDefined();
  });
});
