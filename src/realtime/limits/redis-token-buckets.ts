import type Redis from 'ioredis';
import { defineScript } from '../../redis/lua-script';
import type { Lease, SharedTokenBuckets } from './user-event-budget';

// Refill by the time elapsed (Redis's clock, so instances' clocks do not matter), then grant up to
// ARGV[3] whole tokens. The key expires once the bucket would be full again anyway.
const LEASE = `
if redis.replicate_commands then redis.replicate_commands() end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
local wait = 0
if granted < want then wait = math.ceil((1 - (tokens - math.floor(tokens))) * 1000 / rate) end
return { granted, wait }`;

/** Per-user token buckets in Redis shared by the instances of one deployment (one hash per active user). */
export class RedisTokenBuckets implements SharedTokenBuckets {
  private readonly leaseScript;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.leaseScript = defineScript<number[]>(redis, 'budgetLease', 1, LEASE);
  }

  async lease(userId: string, want: number): Promise<Lease> {
    const key = `${this.prefix}:budget:user:${userId}`;
    const [granted, retryAfterMs] = await this.leaseScript(key, this.perSecond, this.burst, want);
    return { granted, retryAfterMs };
  }
}
