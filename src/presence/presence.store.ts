import { Inject } from '@nestjs/common';
import type { SettableStatus } from '../contracts';

/** What a user chose for all of their sessions; only online users (or users in the grace period) have one. */
export interface PresenceState {
  status: SettableStatus;
  /** Omitted when the user has no status text. */
  statusText?: string;
}

export interface PresenceConnectResult {
  /** True only when the user was offline: a reconnect inside the grace period is not a change. */
  cameOnline: boolean;
  state: PresenceState;
}

export interface PresenceUpdateResult {
  /** The state before the update; undefined when the user had none (offline). */
  previous?: PresenceState;
  current: PresenceState;
}

/**
 * The announced presence of every user, shared by every instance. Each method is one atomic
 * decision so two instances never both announce (or both miss) the same change; a Redis
 * implementation does each with one script. Socket counts live in the ConnectionStore.
 *
 * A record exists from the user's first socket until the grace period after their last one
 * expired; `epoch` changes on every (re)connect so a late offline decision cannot remove a
 * user who came back in between.
 */
export interface PresenceStore {
  /** The user's first socket arrived: creates the record (status `online`) or keeps the existing one, and bumps the epoch. */
  connect(userId: string): Promise<PresenceConnectResult>;
  /** The current epoch, read when the user's last socket went; undefined when the user has no record. */
  epoch(userId: string): Promise<number | undefined>;
  /** Removes the record if no connect happened since `epoch`; returns what was removed (undefined: nothing changed). */
  goOffline(userId: string, epoch: number): Promise<PresenceState | undefined>;
  /** Replaces the user's chosen status and text (creating the record if a connect is still in flight). */
  update(userId: string, next: PresenceState): Promise<PresenceUpdateResult>;
  /** Records of those users; users without one are absent (offline). */
  get(userIds: readonly string[]): Promise<Map<string, PresenceState>>;
  /**
   * A page of the users with a record, ordered by user id (UTF-16 code units; ids are ASCII, so
   * Redis's byte order is the same), starting after `after` (exclusive). Never the whole set.
   */
  userIdsPage(after: string | undefined, limit: number): Promise<UserIdsPage>;
}

export interface UserIdsPage {
  ids: string[];
  /** More users follow the last of `ids`. */
  hasMore: boolean;
}

export const PRESENCE_STORE = Symbol('PRESENCE_STORE');
export const InjectPresenceStore = () => Inject(PRESENCE_STORE);
