import { Inject } from '@nestjs/common';
import type { ConnectionCounts, SocketEntry } from './connection-store';

/** A socket of an instance that died, taken out of the registry, with the counts it left behind. */
export interface OrphanedSocket {
  entry: SocketEntry;
  counts: ConnectionCounts;
}

/**
 * This instance among the others sharing one registry: a lease renewed by heartbeats, the claim
 * of a dead instance's sockets (exactly one survivor gets each), and leaving on a clean shutdown.
 * A single instance has no others: the implementation below does nothing.
 */
export interface ClusterMembership {
  /** Renews this instance's lease until now + leaseMs; false when it had been taken for dead meanwhile. */
  heartbeat(leaseMs: number): Promise<boolean>;
  /** Takes the sockets of instances whose lease ran out out of the registry. */
  claimOrphans(): Promise<OrphanedSocket[]>;
  /** Sockets this instance still has in the shared registry (the shutdown drain waits for none). */
  localCount(): Promise<number>;
  /** Clean shutdown, once this instance's sockets went through the disconnect path. */
  leave(): Promise<void>;
}

export const CLUSTER_MEMBERSHIP = Symbol('CLUSTER_MEMBERSHIP');
export const InjectClusterMembership = () => Inject(CLUSTER_MEMBERSHIP);

/** One instance: nobody to heartbeat to, nothing to claim; its registry dies with it. */
export class SingleInstanceMembership implements ClusterMembership {
  heartbeat(): Promise<boolean> {
    return Promise.resolve(true);
  }

  claimOrphans(): Promise<OrphanedSocket[]> {
    return Promise.resolve([]);
  }

  localCount(): Promise<number> {
    return Promise.resolve(0);
  }

  leave(): Promise<void> {
    return Promise.resolve();
  }
}
