import { createSecretKey, type KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { AppError } from '../common/errors/app-error';
import { InjectConfig, type AppConfig } from '../config/config.module';

export interface VerifiedToken {
  userId: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** Epoch seconds (`iat`). */
  issuedAt: number;
  /** The login (`sid`) the token belongs to; absent in tokens from before version 0.2. */
  authSessionId?: string;
}

/**
 * HS256 access tokens. The secret is turned into a KeyObject once: jsonwebtoken re-parses a
 * string secret on every call (~0.43 ms against ~16 µs), which would cap handshakes per second.
 */
@Injectable()
export class TokenService {
  private readonly key: KeyObject;

  constructor(@InjectConfig() private readonly config: AppConfig) {
    this.key = createSecretKey(Buffer.from(config.jwt.secret, 'utf8'));
  }

  get expiresInSeconds(): number {
    return this.config.jwt.expiresInSeconds;
  }

  /**
   * An access token for `userId`, valid JWT_EXPIRES_IN (or `expiresInSeconds`, for the server API's
   * minted tokens); of the login `authSessionId` (claim `sid`) when given, which logout and refresh-token reuse end.
   */
  sign(userId: string, authSessionId?: string, expiresInSeconds = this.expiresInSeconds): string {
    const claims = authSessionId ? { sid: authSessionId } : {};
    return jwt.sign(claims, this.key, { algorithm: 'HS256', subject: userId, expiresIn: expiresInSeconds });
  }

  /** Throws TOKEN_EXPIRED for an expired token and UNAUTHORIZED for anything else wrong. */
  verify(token: unknown): VerifiedToken {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      throw AppError.of('TOKEN_INVALID', 'Missing or malformed token');
    }
    let payload: jwt.JwtPayload | string;
    try {
      payload = jwt.verify(token, this.key, { algorithms: ['HS256'] });
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) throw AppError.of('TOKEN_EXPIRED');
      throw AppError.of('TOKEN_INVALID');
    }
    if (typeof payload === 'string' || typeof payload.sub !== 'string' || !payload.sub || typeof payload.exp !== 'number') {
      throw AppError.of('TOKEN_INVALID');
    }
    const verified: VerifiedToken = { userId: payload.sub, expiresAt: payload.exp * 1000, issuedAt: payload.iat ?? 0 };
    if (typeof payload.sid === 'string' && payload.sid) verified.authSessionId = payload.sid;
    return verified;
  }
}

/** Reads `Authorization: Bearer <token>`; tokens in URLs are never accepted. */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}
