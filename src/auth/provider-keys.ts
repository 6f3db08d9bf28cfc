import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { Logger } from '@nestjs/common';

/** Keys one JWKS may hold, and the bytes its answer may have: a provider cannot make us hold more. */
const MAX_KEYS = 100;
const MAX_JWKS_BYTES = 1_000_000;

export interface ProviderKeysOptions {
  url: string;
  /** Fewest milliseconds between two fetches (an unknown `kid` asks for one): a flood of bogus kids costs the provider one fetch per interval. */
  refetchIntervalMs: number;
  /** Known keys are refreshed in the background after this long, so a key the provider removed stops working. */
  maxAgeMs: number;
  timeoutMs: number;
}

/**
 * The identity provider's public keys (a JWKS), cached as prepared KeyObjects by `kid`.
 *
 * - An unknown `kid` fetches the JWKS again, at most once per `refetchIntervalMs` and never twice
 *   at once (callers share the one fetch): that is how a rotated-in key is picked up without a restart.
 * - A failed fetch keeps the keys already known: a provider outage refuses only tokens of keys it
 *   had never served, while tokens signed with a known key keep working.
 * - Only asymmetric keys (RSA, EC, OKP) are taken: an `oct` key would let an HS* token pass as the provider's.
 */
export class ProviderKeys {
  private readonly logger = new Logger(ProviderKeys.name);
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  private attemptedAt = 0;
  private inflight?: Promise<void>;

  constructor(private readonly options: ProviderKeysOptions) {}

  /** The key for this `kid` (a token without `kid` takes the only key), or undefined. */
  async keyFor(kid: string | undefined): Promise<KeyObject | undefined> {
    // Handshakes that arrive while a fetch runs (the first one above all) wait for its keys.
    if (this.inflight) await this.inflight;
    if (this.attemptedAt === 0) await this.fetch();
    else if (Date.now() - this.fetchedAt > this.options.maxAgeMs) void this.fetch();
    const known = this.lookup(kid);
    if (known || Date.now() - this.attemptedAt < this.options.refetchIntervalMs) return known;
    await this.fetch();
    return this.lookup(kid);
  }

  private lookup(kid: string | undefined): KeyObject | undefined {
    if (kid !== undefined) return this.keys.get(kid);
    return this.keys.size === 1 ? this.keys.values().next().value : undefined;
  }

  /** One fetch at a time, at most one per refetch interval; errors are logged and the old keys kept. */
  private fetch(): Promise<void> {
    if (this.inflight) return this.inflight;
    if (this.attemptedAt !== 0 && Date.now() - this.attemptedAt < this.options.refetchIntervalMs) return Promise.resolve();
    this.attemptedAt = Date.now();
    this.inflight = this.load()
      .then((keys) => {
        this.keys = keys;
        this.fetchedAt = Date.now();
      })
      .catch((error: unknown) => {
        this.logger.warn(
          { err: error instanceof Error ? error.message : String(error), known: this.keys.size },
          'JWKS fetch failed; keeping the keys already known',
        );
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private async load(): Promise<Map<string, KeyObject>> {
    const response = await fetch(this.options.url, {
      signal: AbortSignal.timeout(this.options.timeoutMs),
      headers: { accept: 'application/json' },
    });
    if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_JWKS_BYTES) throw new Error('JWKS too large');
    const body = JSON.parse(text) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error('JWKS has no keys array');
    const keys = new Map<string, KeyObject>();
    for (const [index, jwk] of (body.keys as JsonWebKey[]).slice(0, MAX_KEYS).entries()) {
      if (typeof jwk !== 'object' || jwk === null || !['RSA', 'EC', 'OKP'].includes(String(jwk.kty)) || jwk.use === 'enc') continue;
      try {
        const { d: _private, ...publicPart } = jwk;
        keys.set(typeof jwk.kid === 'string' ? jwk.kid : `#${index}`, createPublicKey({ key: publicPart, format: 'jwk' }));
      } catch {
        // A key this runtime cannot read is skipped; the others still serve.
      }
    }
    return keys;
  }
}
