import { createHash, timingSafeEqual } from 'node:crypto';

/** The hash of a token, so the comparison below runs in the same time whatever the lengths. */
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Whether a scrape may read /metrics: always without METRICS_TOKEN, otherwise only with
 * `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time).
 */
export function scrapeAllowed(token: string | undefined, authorization: string | undefined): boolean {
  if (token === undefined) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]), digest(token));
}
