import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Ids made now sort after
 * ids made before, so a row inserted now lands at the end of its primary-key index instead of
 * on a random page: a commit of many new sessions or messages writes far fewer pages.
 * Built from a v4 UUID (Node's pooled randomness): its first 48 random bits become the time.
 */
export function uuidV7(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  // randomUUID(): xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; from index 15 on it is random bits and the variant.
  return `${time.slice(0, 8)}-${time.slice(8)}-7${randomUUID().slice(15)}`;
}
