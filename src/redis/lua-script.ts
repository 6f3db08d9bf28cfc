import type Redis from 'ioredis';

export type ScriptArg = string | number;
/** One Lua script on one connection: called with its keys, then its arguments. */
export type LuaScript<T> = (...keysAndArgs: ScriptArg[]) => Promise<T>;

/**
 * Registers a Lua script with ioredis `defineCommand`: the first call on each connection sends
 * the text (EVAL), later calls only its SHA1 (EVALSHA), and a NOSCRIPT reply (Redis restarted or
 * flushed its scripts) sends the text again. A plain EVAL sends, and Redis hashes, the whole text
 * every time. `name` must be unique per script on the connection (all share one client).
 */
export function defineScript<T>(redis: Redis, name: string, numberOfKeys: number, lua: string): LuaScript<T> {
  redis.defineCommand(name, { numberOfKeys, lua });
  const command = (redis as unknown as Record<string, (...args: ScriptArg[]) => Promise<T>>)[name];
  return (...keysAndArgs) => command.apply(redis, keysAndArgs);
}
