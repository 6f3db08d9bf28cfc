import jwt from 'jsonwebtoken';
import { loadConfig } from '../config/app-config';
import { bearerToken, TokenService } from './token.service';

const SECRET = 'unit-test-secret-unit-test-secret-0000';

describe('TokenService', () => {
  const service = new TokenService(loadConfig({ JWT_SECRET: SECRET, JWT_EXPIRES_IN: '15m' }));

  it('signs HS256 tokens with the subject and the configured lifetime', () => {
    const token = service.sign('user-1');
    const decoded = jwt.decode(token, { complete: true })!;
    expect(decoded.header.alg).toBe('HS256');
    const payload = decoded.payload as jwt.JwtPayload;
    expect(payload.sub).toBe('user-1');
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(service.verify(token)).toEqual({ userId: 'user-1', expiresAt: payload.exp! * 1000, issuedAt: payload.iat });
    expect(service.verify(service.sign('user-1', 'login-1')).authSessionId).toBe('login-1');
  });

  it.each([
    ['expired', jwt.sign({ sub: 'u', exp: Math.floor(Date.now() / 1000) - 5 }, SECRET), 'TOKEN_EXPIRED'],
    ['wrong key', jwt.sign({ sub: 'u' }, 'other-secret-other-secret-other-secret', { expiresIn: 60 }), 'UNAUTHORIZED'],
    ['wrong algorithm', jwt.sign({ sub: 'u' }, SECRET, { algorithm: 'HS384', expiresIn: 60 }), 'UNAUTHORIZED'],
    ['no subject', jwt.sign({}, SECRET, { expiresIn: 60 }), 'UNAUTHORIZED'],
    ['no expiry', jwt.sign({ sub: 'u' }, SECRET), 'UNAUTHORIZED'],
    ['not yet valid', jwt.sign({ sub: 'u' }, SECRET, { expiresIn: 120, notBefore: 60 }), 'UNAUTHORIZED'],
    ['garbage', 'a.b.c', 'UNAUTHORIZED'],
  ])('refuses a token that is %s', (_, token, code) => {
    expect(() => service.verify(token)).toThrow(expect.objectContaining({ code }));
  });

  it('refuses non-strings and empty tokens', () => {
    for (const token of [undefined, null, 42, {}, '']) {
      expect(() => service.verify(token)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
    }
  });
});

describe('bearerToken', () => {
  it('reads only well-formed Bearer headers', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
