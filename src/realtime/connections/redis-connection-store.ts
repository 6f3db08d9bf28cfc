import type Redis from 'ioredis';
import { defineScript } from '../../redis/lua-script';
import type { ConnectionCounts, ConnectionStore, SocketEntry } from './connection-store';

// Scripts keep each change and the counts it returns atomic across instances. ADD refuses (false)
// when the user already has ARGV[4] sockets, so the cap holds under concurrent handshakes.
const ADD = `
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[4]) and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return false end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('SADD', KEYS[4], ARGV[2])
return { redis.call('SCARD', KEYS[1]), redis.call('SCARD', KEYS[2]) }`;

const REMOVE = `
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[3])
local user = redis.call('SCARD', KEYS[1])
if user == 0 then redis.call('SREM', KEYS[4], ARGV[2]) end
return { user, redis.call('SCARD', KEYS[2]) }`;

const SEP = '\t';

/** Keys of the registry (`<prefix>:conn:…`), shared with RedisClusterMembership. */
export function connectionKey(prefix: string, ...parts: string[]): string {
  return [prefix, 'conn', ...parts].join(':');
}

/**
 * Connection registry shared by every instance through Redis: sockets per user, per session and
 * per instance (so a dead instance's sockets can be claimed, see RedisClusterMembership).
 */
export class RedisConnectionStore implements ConnectionStore {
  private readonly addScript;
  private readonly removeScript;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly instanceId: string,
  ) {
    this.addScript = defineScript<number[] | null>(redis, 'connectionAdd', 4, ADD);
    this.removeScript = defineScript<number[]>(redis, 'connectionRemove', 4, REMOVE);
  }

  private key(...parts: string[]): string {
    return connectionKey(this.prefix, ...parts);
  }

  private keysFor(entry: SocketEntry, instanceId = this.instanceId): string[] {
    return [this.key('user', entry.userId), this.key('session', entry.sessionId), this.key('instance', instanceId), this.key('online')];
  }

  async add(entry: SocketEntry): Promise<ConnectionCounts> {
    return (await this.addWithin(entry, Infinity))!;
  }

  async addWithin(entry: SocketEntry, maxPerUser: number): Promise<ConnectionCounts | null> {
    // Lua's tonumber reads "inf" as infinity, so no cap compares as never reached.
    const limit = Number.isFinite(maxPerUser) ? String(maxPerUser) : 'inf';
    const result = await this.addScript(...this.keysFor(entry), entry.socketId, entry.userId, encode(entry), limit);
    if (!result) return null;
    const [user, session] = result;
    return { user, session };
  }

  async remove(entry: SocketEntry, instanceId = this.instanceId): Promise<ConnectionCounts> {
    const keys = this.keysFor(entry, instanceId);
    const [user, session] = await this.removeScript(...keys, entry.socketId, entry.userId, encode(entry));
    return { user, session };
  }

  async countByUser(userIds: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (userIds.length === 0) return counts;
    const pipeline = this.redis.pipeline();
    for (const id of userIds) pipeline.scard(this.key('user', id));
    const results = (await pipeline.exec()) ?? [];
    results.forEach(([error, count], i) => {
      if (error) throw error;
      if (Number(count) > 0) counts.set(userIds[i], Number(count));
    });
    return counts;
  }

  countBySession(sessionId: string): Promise<number> {
    return this.redis.scard(this.key('session', sessionId));
  }

  onlineUserCount(): Promise<number> {
    return this.redis.scard(this.key('online'));
  }
}

function encode(entry: SocketEntry): string {
  return [entry.socketId, entry.userId, entry.sessionId].join(SEP);
}

export function decodeEntry(raw: string): SocketEntry {
  const [socketId, userId, sessionId] = raw.split(SEP);
  return { socketId, userId, sessionId };
}
