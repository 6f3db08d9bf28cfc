import type Redis from 'ioredis';
import { defineScript } from '../redis/lua-script';
import type { PresenceConnectResult, PresenceState, PresenceStore, PresenceUpdateResult, UserIdsPage } from './presence.store';

// KEYS[1]: the user's record (HASH status, text, epoch); KEYS[2]: the ZSET (all scores 0, so in
// id order for ZRANGEBYLEX paging) of users with a record; KEYS[3]: the epoch counter. Each
// decision is one script, so instances agree on who announces. CONNECT adds to the ZSET even for
// an existing record, so records made by an older version (which kept a SET) join it on reconnect.
const CONNECT = `
local epoch = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'epoch', epoch)
  local state = redis.call('HMGET', KEYS[1], 'status', 'text')
  return { 0, state[1], state[2] or '' }
end
redis.call('HSET', KEYS[1], 'status', 'online', 'epoch', epoch)
return { 1, 'online', '' }`;

const GO_OFFLINE = `
local state = redis.call('HMGET', KEYS[1], 'status', 'text', 'epoch')
if not state[3] or state[3] ~= ARGV[2] then return false end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return { state[1], state[2] or '' }`;

const UPDATE = `
local previous = redis.call('HMGET', KEYS[1], 'status', 'text', 'epoch')
if not previous[3] then
  redis.call('HSET', KEYS[1], 'epoch', redis.call('INCR', KEYS[3]))
  redis.call('ZADD', KEYS[2], 0, ARGV[1])
end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], 'text') else redis.call('HSET', KEYS[1], 'text', ARGV[3]) end
if not previous[3] then return {} end
return { previous[1], previous[2] or '' }`;

/** Presence shared by every instance (REDIS_URL): one small hash per online user, and their ids in one sorted set. */
export class RedisPresenceStore implements PresenceStore {
  private readonly connectScript;
  private readonly goOfflineScript;
  private readonly updateScript;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.connectScript = defineScript<[number, string, string]>(redis, 'presenceConnect', 3, CONNECT);
    this.goOfflineScript = defineScript<[string, string] | null>(redis, 'presenceGoOffline', 3, GO_OFFLINE);
    this.updateScript = defineScript<string[]>(redis, 'presenceUpdate', 3, UPDATE);
  }

  private keys(userId: string): [string, string, string] {
    return [`${this.prefix}:presence:user:${userId}`, `${this.prefix}:presence:online`, `${this.prefix}:presence:epoch`];
  }

  async connect(userId: string): Promise<PresenceConnectResult> {
    const [came, status, text] = await this.connectScript(...this.keys(userId), userId);
    return { cameOnline: came === 1, state: toState(status, text) };
  }

  async epoch(userId: string): Promise<number | undefined> {
    const epoch = await this.redis.hget(this.keys(userId)[0], 'epoch');
    return epoch === null ? undefined : Number(epoch);
  }

  async goOffline(userId: string, epoch: number): Promise<PresenceState | undefined> {
    const gone = await this.goOfflineScript(...this.keys(userId), userId, String(epoch));
    return gone ? toState(gone[0], gone[1]) : undefined;
  }

  async update(userId: string, next: PresenceState): Promise<PresenceUpdateResult> {
    const previous = await this.updateScript(...this.keys(userId), userId, next.status, next.statusText ?? '');
    const current = toState(next.status, next.statusText ?? '');
    return previous.length ? { previous: toState(previous[0], previous[1]), current } : { current };
  }

  async get(userIds: readonly string[]): Promise<Map<string, PresenceState>> {
    const result = new Map<string, PresenceState>();
    if (userIds.length === 0) return result;
    const pipeline = this.redis.pipeline();
    for (const id of userIds) pipeline.hmget(this.keys(id)[0], 'status', 'text');
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([error, reply], i) => {
      if (error) throw error;
      const [status, text] = reply as [string | null, string | null];
      if (status) result.set(userIds[i], toState(status, text ?? ''));
    });
    return result;
  }

  /** O(log N + page): ZRANGEBYLEX on the id-ordered set, one more than asked to know whether more follow. */
  async userIdsPage(after: string | undefined, limit: number): Promise<UserIdsPage> {
    const ids = await this.redis.zrangebylex(this.keys('')[1], after === undefined ? '-' : `(${after}`, '+', 'LIMIT', 0, limit + 1);
    return { ids: ids.slice(0, limit), hasMore: ids.length > limit };
  }
}

function toState(status: string, text: string): PresenceState {
  return text ? { status: status as PresenceState['status'], statusText: text } : { status: status as PresenceState['status'] };
}
