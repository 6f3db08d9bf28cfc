import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { redisAvailable, TEST_REDIS_URL, testRedisPrefix } from '../testing/redis';
import { defineScript } from './lua-script';

/** How often Redis ran `command` (INFO commandstats), whoever sent it. */
async function calls(client: Redis, command: string): Promise<number> {
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await client.info('commandstats'));
  return match ? Number(match[1]) : 0;
}

describe('defineScript (real Redis)', () => {
  let client: Redis | undefined;
  const prefix = testRedisPrefix();

  beforeAll(async () => {
    if (await redisAvailable()) client = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    await prefix.cleanup();
    client?.disconnect();
  });

  it('sends the text once, then the hash, and again after Redis forgot its scripts', async () => {
    if (!client) return;
    // A text of this run only, so its hash is unknown to Redis until the first call.
    const lua = `-- ${prefix.prefix}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`;
    const sha = createHash('sha1').update(lua).digest('hex');
    const incr = defineScript<number>(client, 'testIncr', 1, lua);
    const key = `${prefix.prefix}:n`;
    expect(await client.script('EXISTS', sha)).toEqual([0]);

    expect(await incr(key, 2)).toBe(2);
    expect(await client.script('EXISTS', sha)).toEqual([1]);
    const before = await calls(client, 'evalsha');
    expect(await incr(key, 3)).toBe(5);
    expect(await calls(client, 'evalsha')).toBeGreaterThan(before);

    // As after a Redis restart: NOSCRIPT, then the text is sent again and the call succeeds.
    await client.script('FLUSH');
    expect(await incr(key, 4)).toBe(9);
    expect(await client.script('EXISTS', sha)).toEqual([1]);
  });
});
