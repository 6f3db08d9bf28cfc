import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { AppError } from '../common/errors/app-error';
import { InjectConfig, type AppConfig, type ProviderConfig } from '../config/config.module';
import { ProviderKeys } from './provider-keys';

/** Who a valid identity-provider token names, read through the JWT_*_CLAIM mapping. */
export interface ProviderIdentity {
  subject: string;
  username?: string;
  name?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** Epoch seconds (`iat`), or 0 when the token has none. */
  issuedAt: number;
}

export interface TokenHeader {
  alg?: unknown;
  kid?: unknown;
}

/**
 * Tokens the deployment's identity provider signs (JWT_JWKS_URL or JWT_PUBLIC_KEY): the allowed
 * algorithms only (never `none`; HS* only with JWT_SECRET), `iss` and `aud` when configured, `exp`
 * always. Keys are prepared KeyObjects; jose checks that each fits the token's algorithm, so an
 * HS256 token "signed" with the public key is refused.
 */
@Injectable()
export class ProviderTokens {
  private readonly provider?: ProviderConfig;
  private readonly jwks?: ProviderKeys;
  private readonly publicKey?: KeyObject;
  private readonly secret: KeyObject;

  constructor(@InjectConfig() config: AppConfig) {
    this.provider = config.jwt.provider;
    this.secret = createSecretKey(Buffer.from(config.jwt.secret, 'utf8'));
    if (this.provider?.publicKey) this.publicKey = createPublicKey(this.provider.publicKey);
    if (this.provider?.jwksUrl) {
      this.jwks = new ProviderKeys({
        url: this.provider.jwksUrl,
        refetchIntervalMs: config.jwt.jwksRefetchMs,
        maxAgeMs: 10 * 60_000,
        timeoutMs: 5000,
      });
    }
  }

  get enabled(): boolean {
    return this.provider !== undefined;
  }

  /**
   * Whether a token with this header is the provider's to judge: its algorithm is allowed and,
   * for HS* (the service's own tokens are HS256 too), its `iss` is JWT_ISSUER.
   */
  claims(header: TokenHeader, token: string): boolean {
    const provider = this.provider;
    if (!provider || typeof header.alg !== 'string' || !provider.algorithms.includes(header.alg)) return false;
    if (!header.alg.startsWith('HS')) return true;
    return decodePart(token, 1)?.iss === provider.issuer;
  }

  /** Throws TOKEN_EXPIRED, or TOKEN_INVALID for anything else wrong. */
  async verify(token: string, header: TokenHeader): Promise<ProviderIdentity> {
    const provider = this.provider!;
    const alg = String(header.alg);
    const key = alg.startsWith('HS')
      ? this.secret
      : (this.publicKey ?? (await this.jwks!.keyFor(typeof header.kid === 'string' ? header.kid : undefined)));
    if (!key) throw AppError.of('TOKEN_INVALID', 'Unknown signing key');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: provider.algorithms,
        issuer: provider.issuer,
        audience: provider.audience,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw AppError.of('TOKEN_EXPIRED');
      throw AppError.of('TOKEN_INVALID');
    }
    const subject = payload[provider.claims.user];
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > 255)
      throw AppError.of('TOKEN_INVALID', 'Token has no subject');
    const text = (name: string): string | undefined => {
      const value = payload[name];
      return typeof value === 'string' ? value : undefined;
    };
    return {
      subject,
      username: text(provider.claims.username),
      name: text(provider.claims.name),
      expiresAt: payload.exp! * 1000,
      issuedAt: typeof payload.iat === 'number' ? payload.iat : 0,
    };
  }
}

/** The JSON of a token's header (0) or payload (1), unverified; undefined when it is not one. */
export function decodePart(token: string, index: 0 | 1): Record<string, unknown> | undefined {
  const part = token.split('.', 3)[index];
  if (!part) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
