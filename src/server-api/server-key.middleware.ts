import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../common/errors/app-error';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { bearerToken } from '../auth/token.service';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * In front of every `/server/v1/*` path, known or not: without SERVER_API_KEYS the API does not
 * exist (404); with them, a request without one of the keys is 401 before any routing, so the
 * route list is not revealed. Keys are compared as SHA-256 digests with `timingSafeEqual`
 * against every key (equal lengths, no early exit), so timing tells nothing about a key.
 */
@Injectable()
export class ServerKeyMiddleware implements NestMiddleware {
  private readonly keys: Buffer[];

  constructor(@InjectConfig() config: AppConfig) {
    this.keys = config.serverApi.keys.map(digest);
  }

  use(request: Request, _response: Response, next: NextFunction): void {
    if (this.keys.length === 0) throw AppError.of('ROUTE_NOT_FOUND');
    const given = digest(bearerToken(request.headers.authorization) ?? '');
    let match = false;
    for (const key of this.keys) match = timingSafeEqual(key, given) || match;
    if (!match) throw AppError.of('SERVER_KEY_INVALID');
    next();
  }
}
