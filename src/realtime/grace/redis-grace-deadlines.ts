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

const TAKE_ONE = `
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[2]) then return false end
redis.call('ZREM', KEYS[1], ARGV[1])
local payload = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return payload or ''`;

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
  private readonly takeOneScript;
  private readonly takeDueScript;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    this.scheduleScript = defineScript<null>(redis, 'graceSchedule', 2, SCHEDULE);
    this.cancelScript = defineScript<null>(redis, 'graceCancel', 2, CANCEL);
    this.takeOneScript = defineScript<string | null>(redis, 'graceTakeOne', 2, TAKE_ONE);
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

  async takeIfDue(kind: string, id: string, now: number): Promise<string | undefined> {
    const payload = await this.takeOneScript(...this.keys(kind), id, now);
    return payload ?? undefined;
  }

  async takeDue(kind: string, now: number, limit: number): Promise<DueDeadline[]> {
    const flat = await this.takeDueScript(...this.keys(kind), now, limit);
    const due: DueDeadline[] = [];
    for (let i = 0; i < flat.length; i += 2) due.push({ id: flat[i], payload: flat[i + 1] });
    return due;
  }
}
