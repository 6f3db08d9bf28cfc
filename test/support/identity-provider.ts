import { createHmac, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, type JWTPayload } from 'jose';

export const TEST_ISSUER = 'https://idp.test.example';
export const TEST_AUDIENCE = 'realtime-api';

type Algorithm = 'RS256' | 'ES256';

interface SigningKey {
  kid: string;
  alg: Algorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface SignOptions {
  kid?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  issuer?: string;
  audience?: string;
  issuedAt?: number;
}

/**
 * A throwaway identity provider: a local HTTP server serving a JWKS of keys made with node:crypto,
 * signing tokens like a real one would. `down` makes it answer 503 (an outage); `fetches` counts
 * JWKS requests.
 */
export class TestIdentityProvider {
  readonly keys: SigningKey[] = [];
  down = false;
  fetches = 0;
  private constructor(
    private readonly server: Server,
    readonly jwksUrl: string,
  ) {}

  static async start(): Promise<TestIdentityProvider> {
    const state: { provider?: TestIdentityProvider } = {};
    const server = createServer((req, res) => {
      const provider = state.provider!;
      provider.fetches += 1;
      if (provider.down || req.url !== '/.well-known/jwks.json') {
        res.writeHead(provider.down ? 503 : 404).end();
        return;
      }
      const keys = provider.keys.map((k) => ({ ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, alg: k.alg, use: 'sig' }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    state.provider = new TestIdentityProvider(server, `http://127.0.0.1:${port}/.well-known/jwks.json`);
    return state.provider;
  }

  /** A new signing key, published in the JWKS from now on. */
  addKey(alg: Algorithm = 'RS256', kid: string = randomUUID()): SigningKey {
    const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = { kid, alg, ...pair };
    this.keys.push(key);
    return key;
  }

  removeKey(kid: string): void {
    this.keys.splice(
      this.keys.findIndex((k) => k.kid === kid),
      1,
    );
  }

  /** A token signed with `key` (the first key by default), `iss`/`aud` of the test deployment unless told otherwise. */
  async sign(claims: JWTPayload, key: SigningKey = this.keys[0], options: SignOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: 'JWT' })
      .setIssuedAt(options.issuedAt ?? now)
      .setIssuer(options.issuer ?? TEST_ISSUER)
      .setAudience(options.audience ?? TEST_AUDIENCE)
      .setExpirationTime(now + (options.expiresIn ?? 600))
      .sign(key.privateKey);
  }

  /** The classic confusion attack: HS256 "signed" with the provider's public key (PEM) as the secret. */
  confused(claims: JWTPayload, key: SigningKey = this.keys[0]): string {
    const now = Math.floor(Date.now() / 1000);
    const pem = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    return hmacToken(
      { alg: 'HS256', typ: 'JWT', kid: key.kid },
      { iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: now, exp: now + 600, ...claims },
      pem,
    );
  }

  /** An unsigned token (`alg: none`). */
  unsigned(claims: JWTPayload): string {
    const now = Math.floor(Date.now() / 1000);
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: now, exp: now + 600, ...claims })}.`;
  }

  /** The environment of a deployment that trusts this provider. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { JWT_JWKS_URL: this.jwksUrl, JWT_ISSUER: TEST_ISSUER, JWT_AUDIENCE: TEST_AUDIENCE, JWT_ALGORITHMS: 'RS256,ES256', ...extra };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export function hmacToken(header: object, payload: object, secret: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part(header)}.${part(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
