import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { AppConfig } from '../config/app-config';
import { causeOf, DependencyUnavailableError, withoutPassword } from '../common/errors/startup-error';

/** The Redis connections of this instance, or null on a single instance (no REDIS_URL). */
export interface RedisConnections {
  /** Commands. */
  client: Redis;
  /** A second connection for the socket.io adapter's subscriptions. */
  subscriber: Redis;
  prefix: string;
}

export const REDIS = Symbol('REDIS');
export const InjectRedis = () => Inject(REDIS);

/** Names this process among the instances sharing one Redis (heartbeats, socket ownership). */
export const INSTANCE_ID = Symbol('INSTANCE_ID');

export function newInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Connects to Redis only when REDIS_URL is set; ioredis is required lazily so a single
 * instance never loads it. Commands fail fast while Redis is away instead of queueing forever.
 */
export async function connectRedis(config: AppConfig): Promise<RedisConnections | null> {
  if (!config.redisUrl) return null;
  const { default: IORedis } = await import('ioredis');
  const logger = new Logger('Redis');
  const options = {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 5000,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
  };
  const client = new IORedis(config.redisUrl, { ...options, connectionName: 'realtime-commands' });
  const subscriber = new IORedis(config.redisUrl, { ...options, connectionName: 'realtime-adapter-sub' });
  let warned = false;
  let lastError: unknown;
  for (const connection of [client, subscriber]) {
    connection.on('error', (error: Error) => {
      lastError = error;
      if (!warned) logger.error(`Redis connection error: ${error.message}`);
      warned = true;
    });
    connection.on('ready', () => {
      if (warned) logger.log('Redis connection restored');
      warned = false;
    });
  }
  try {
    await client.ping();
  } catch (error) {
    client.disconnect();
    subscriber.disconnect();
    throw new DependencyUnavailableError(
      'redis',
      `cannot reach Redis at ${withoutPassword(config.redisUrl)}: ${causeOf(lastError ?? error)}; check REDIS_URL and that Redis is running and reachable`,
      { cause: error },
    );
  }
  return { client, subscriber, prefix: config.redisKeyPrefix };
}
