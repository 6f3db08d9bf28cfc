import { createAdapter } from '@socket.io/redis-adapter';
import type { ServerConfigurer } from '../common/ws/realtime-io.adapter';
import type { RedisConnections } from './redis.providers';

/**
 * socket.io's Redis adapter (classic pub/sub), so an emit to a room reaches its sockets on every
 * instance and socketsJoin/Leave/disconnectSockets act everywhere. Chosen over the sharded
 * adapter: on one Redis node (not a Redis Cluster) sharded pub/sub buys nothing, and the
 * classic adapter supports every server-side utility we use; with the per-user rooms every
 * socket has, the sharded adapter's dynamic mode would add a subscription per room.
 */
export function useRedisAdapter(redis: RedisConnections): ServerConfigurer {
  return (server) => {
    server.adapter(createAdapter(redis.client, redis.subscriber, { key: `${redis.prefix}:socket.io` }));
  };
}
