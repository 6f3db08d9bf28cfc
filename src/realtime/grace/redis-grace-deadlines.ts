import type Redis from 'ioredis';
import { defineScript } from '../../redis/lua-script';
import type { DueDeadline, GraceDeadlines } from './grace-deadlines';

// KEYS: the deadline ZSET (score = due time), the payload HASH. Each take is one script, so two
// instances sweeping at once never both take the same deadline.
const SCHEDULE = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])`;

const CANCEL = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])`;

// ARGV: now, then the ids. Returns id, payload, id, payload ... of those due.
const TAKE_LISTED = `
local now = tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local due = redis.call('ZSCORE', KEYS[1], id)
  if due and tonumber(due) <= now then
    redis.call('ZREM', KEYS[1], id)
    out[#out + 1] = id
    out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
    redis.call('HDEL', KEYS[2], id)
  end
end
return out`;

const TAKE_DUE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
  redis.call('HDEL', KEYS[2], id)
end
return out`;

/** Grace deadlines shared by every instance (REDIS_URL): a sorted set per kind plus the payloads. */
export class RedisGraceDeadlines implements GraceDeadlines {
  private readonly scheduleScript;
  private readonly cancelScript;
  private readonly takeListedScript;
  private readonly takeDueScript;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    this.scheduleScript = defineScript<null>(redis, 'graceSchedule', 2, SCHEDULE);
    this.cancelScript = defineScript<null>(redis, 'graceCancel', 2, CANCEL);
    this.takeListedScript = defineScript<string[]>(redis, 'graceTakeListed', 2, TAKE_LISTED);
    this.takeDueScript = defineScript<string[]>(redis, 'graceTakeDue', 2, TAKE_DUE);
  }

  private keys(kind: string): [string, string] {
    return [`${this.prefix}:grace:${kind}`, `${this.prefix}:grace:${kind}:payload`];
  }

  async schedule(kind: string, id: string, dueAt: number, payload: string): Promise<void> {
    await this.scheduleScript(...this.keys(kind), id, dueAt, payload);
  }

  async cancel(kind: string, id: string): Promise<void> {
    await this.cancelScript(...this.keys(kind), id);
  }

  async takeIfDue(kind: string, ids: readonly string[], now: number): Promise<DueDeadline[]> {
    if (ids.length === 0) return [];
    return pairs(await this.takeListedScript(...this.keys(kind), now, ...ids));
  }

  async takeDue(kind: string, now: number, limit: number): Promise<DueDeadline[]> {
    return pairs(await this.takeDueScript(...this.keys(kind), now, limit));
  }
}

/** The scripts' flat id, payload, id, payload ... reply. */
function pairs(flat: string[]): DueDeadline[] {
  const due: DueDeadline[] = [];
  for (let i = 0; i < flat.length; i += 2) due.push({ id: flat[i], payload: flat[i + 1] });
  return due;
}
