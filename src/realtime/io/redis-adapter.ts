import { Logger } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import type Redis from 'ioredis';
import type { ServerConfigurer } from './realtime-io.adapter';
import { applySocketMovesFromOtherInstances } from './socket-moves';
import type { RedisConnections } from '../../redis/redis.providers';

/**
 * socket.io's Redis adapter (classic pub/sub), so an emit to a room reaches its sockets on every
 * instance and socketsJoin/Leave/disconnectSockets act everywhere. Chosen over the sharded
 * adapter: on one Redis node (not a Redis Cluster) sharded pub/sub buys nothing, and the
 * classic adapter supports every server-side utility we use; with the per-user rooms every
 * socket has, the sharded adapter's dynamic mode would add a subscription per room.
 */
export function useRedisAdapter(redis: RedisConnections): ServerConfigurer {
  return (server) => {
    server.adapter(
      createAdapter(publisherThatNeverRejects(redis.client), subscriptionsThatNeverReject(redis.subscriber), {
        key: `${redis.prefix}:socket.io`,
      }),
    );
    applySocketMovesFromOtherInstances(server);
  };
}

/**
 * The adapter publishes fire-and-forget and never handles a failed publish, so while Redis is
 * down every broadcast would become an unhandled rejection. Local delivery has already happened
 * by then; the failure is logged once per outage instead.
 */
function publisherThatNeverRejects(client: Redis): Redis {
  const logger = new Logger('RedisAdapter');
  const publish: (channel: string | Buffer, message: string | Buffer) => Promise<number> = client.publish.bind(client);
  let failing = false;
  const safePublish = (channel: string | Buffer, message: string | Buffer): Promise<number> =>
    publish(channel, message).then(
      (receivers) => {
        failing = false;
        return receivers;
      },
      (error: Error) => {
        if (!failing) logger.warn(`publishing to other instances failed (${error.message}); they miss events until Redis is back`);
        failing = true;
        return 0;
      },
    );
  client.publish = safePublish;
  return client;
}

/**
 * Nobody handles the replies of the subscriber's (un)subscribe commands: the adapter's `close()`
 * (at shutdown) unsubscribes without a handler, and so does ioredis when it resubscribes on its
 * own after a reconnect. A shutdown that cuts in while Redis is away or just back then fails those
 * commands ("Connection is closed."): unhandled rejections, seen in CI. A failure is logged
 * instead; once the connection ends nothing is left to (un)subscribe anyway, and a live
 * connection resubscribes on its next reconnect.
 */
function subscriptionsThatNeverReject(subscriber: Redis): Redis {
  const logger = new Logger('RedisAdapter');
  for (const name of ['subscribe', 'psubscribe', 'punsubscribe', 'unsubscribe'] as const) {
    const original = subscriber[name].bind(subscriber) as (...args: unknown[]) => Promise<unknown>;
    (subscriber as unknown as Record<string, unknown>)[name] = (...args: unknown[]) =>
      original(...args).catch((error: Error) => {
        logger.warn(`${name} failed: ${error.message}`);
        return 0;
      });
  }
  return subscriber;
}
