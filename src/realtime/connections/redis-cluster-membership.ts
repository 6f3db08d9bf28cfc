import type Redis from 'ioredis';
import { defineScript, type LuaScript } from '../../redis/lua-script';
import type { ClusterMembership, OrphanedSocket } from './cluster-membership';
import { connectionKey, decodeEntry, type RedisConnectionStore } from './redis-connection-store';

// Only the instance whose ZREM succeeds takes over a dead instance's sockets.
const CLAIM = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return {} end
local entries = redis.call('SMEMBERS', KEYS[2])
redis.call('DEL', KEYS[2])
return entries`;

/**
 * Instances heartbeat in a sorted set (score: lease expiry). The sockets of an instance whose
 * lease ran out (kill -9, lost host) are claimed by one survivor, which runs the normal
 * disconnect path for them.
 */
export class RedisClusterMembership implements ClusterMembership {
  private readonly claimScript: LuaScript<string[]>;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly instanceId: string,
    private readonly registry: RedisConnectionStore,
  ) {
    this.claimScript = defineScript(redis, 'clusterClaim', 2, CLAIM);
  }

  private key(...parts: string[]): string {
    return connectionKey(this.prefix, ...parts);
  }

  async heartbeat(leaseMs: number): Promise<boolean> {
    const added = await this.redis.zadd(this.key('instances'), Date.now() + leaseMs, this.instanceId);
    return Number(added) === 0;
  }

  async claimOrphans(): Promise<OrphanedSocket[]> {
    const dead = await this.redis.zrangebyscore(this.key('instances'), '-inf', Date.now());
    const removed: OrphanedSocket[] = [];
    for (const instanceId of dead) {
      if (instanceId === this.instanceId) continue;
      const encoded = await this.claimScript(this.key('instances'), this.key('instance', instanceId), instanceId);
      for (const raw of encoded) {
        const entry = decodeEntry(raw);
        removed.push({ entry, counts: await this.registry.remove(entry, instanceId) });
      }
    }
    return removed;
  }

  localCount(): Promise<number> {
    return this.redis.scard(this.key('instance', this.instanceId));
  }

  async leave(): Promise<void> {
    await this.redis.zrem(this.key('instances'), this.instanceId);
  }
}
