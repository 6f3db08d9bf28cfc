import { Inject } from '@nestjs/common';
import type { ModalState, User, Viewer } from '../contracts';

/**
 * The exclusive lock of a modal changed hands: `holder` is the new one (absent: nobody holds it
 * now, and `fencingToken` is that of the lock that ended).
 */
export interface LockChange {
  holder?: Viewer;
  fencingToken: number;
}

export type OpenResult =
  /** The viewer was added, or its `exclusive` flag changed: announce it (and `lock` when it moved). */
  | { outcome: 'opened'; state: ModalState; viewer: Viewer; lock?: LockChange }
  /** This session already had it open with the same flag: nothing to announce. */
  | { outcome: 'unchanged'; state: ModalState }
  | { outcome: 'conflict'; holder: Viewer }
  /** Opening would pass one of the caps: nothing changed. */
  | { outcome: 'limit'; cap: ModalCap; limit: number };

/** Which cap refused an open or a hand-over. */
export type ModalCap = 'session' | 'user' | 'exclusive';

/**
 * The caps `open` (and a hand-over) enforce in the same atomic step as the add, so concurrent
 * opens (many sockets or sessions, many instances) can never pass them. Each counts only the
 * opening user's own viewers.
 */
export interface ModalCaps {
  /** Modals one session may have open (MAX_OPEN_MODALS). */
  perSession: number;
  /** Viewers of one user across all of their sessions (MAX_OPEN_MODALS_PER_USER). */
  perUser: number;
  /** Exclusive viewers of one user across all of their sessions (MAX_EXCLUSIVE_MODALS_PER_USER). */
  exclusivePerUser: number;
}

/** How many viewers a user has, and how many of them are exclusive. */
export interface UserModalCounts {
  open: number;
  exclusive: number;
}

/** A viewer released from a modal, and the lock change that caused (if it held the lock). */
export interface Released {
  modalId: string;
  viewer: Viewer;
  lock?: LockChange;
}

/** The session that asks for a lock (`modal:request`): a hand-over makes it the holder. */
export interface Requester {
  userId: string;
  username: string;
  sessionId: string;
}

export type RequestResult =
  | { outcome: 'requested'; holder: Viewer; fencingToken: number }
  /** Nobody holds the modal exclusively, or the requesting user does. */
  | { outcome: 'not-held' };

export type ReleaseResult =
  /** `changed`: viewers whose flag changed or that were added (the new holder), to announce. */
  | { outcome: 'released'; changed: Viewer[]; lock: LockChange }
  /** The releasing session does not hold the lock. */
  | { outcome: 'not-holder' }
  /** `to` has not asked for the lock since it last changed hands. */
  | { outcome: 'no-request' }
  /** The requester is at one of their caps: nothing changed. */
  | { outcome: 'limit'; cap: ModalCap; limit: number };

/** What a session watches (kept so a resumed session gets its watches back). */
export interface SessionWatches {
  modalIds: string[];
  prefixes: string[];
}

/** Pending `modal:request`s kept per lock: the latest ones (an older one drops out). */
export const MAX_REQUESTS_PER_LOCK = 20;
/** Fencing tokens of one single-instance process: `epoch * FENCING_EPOCH_SPAN + n`. */
export const FENCING_EPOCH_SPAN = 1_000_000_000;

/**
 * Who has which modal open, and who holds its exclusive lock, shared by every instance. `open`
 * decides conflicts and caps and adds the viewer in one atomic step, so two users racing for an
 * exclusive modal on two instances cannot both win and no number of concurrent opens passes a
 * cap; a Redis implementation does it in one script.
 *
 * The lock of a modal is held by its earliest exclusive viewer (by opening order) and kept by it
 * while it stays exclusive; each change of holder takes a new fencing token, strictly greater than
 * every token given before (a counter in Redis; in process, a per-start epoch from the database).
 *
 * Sessions whose sockets are all gone are "detached" with a token; `releaseDetached` releases
 * their modals and watches only if they were not re-attached since (a resume inside the grace period).
 */
export interface ModalStore {
  /**
   * Opens `modalId` for `viewer.sessionId`. Refused (`conflict`, with the holder) when a viewer
   * of another user holds it exclusively, or when `viewer.exclusive` is asked while another
   * user has it open. Viewers of the same user never conflict. Then refused (`limit`) when a new
   * viewer would pass `caps.perSession` or `caps.perUser`, or a new (or newly) exclusive one
   * `caps.exclusivePerUser`; re-opening what the session has, with the same flag, never counts.
   */
  open(modalId: string, viewer: Viewer, caps: ModalCaps): Promise<OpenResult>;
  /** Removes the session's viewer; undefined when that session did not have it open. */
  close(modalId: string, sessionId: string): Promise<Released | undefined>;
  /** Records a request for the lock (the latest MAX_REQUESTS_PER_LOCK are kept, one per user). */
  request(modalId: string, requester: Requester): Promise<RequestResult>;
  /**
   * The holder session gives the lock up: every exclusive viewer of the holder's user on that
   * modal becomes a plain viewer. With `to`, that user's requesting session becomes the
   * exclusive holder (a viewer, added if needed, within `caps`) with a new fencing token.
   */
  release(modalId: string, sessionId: string, to: string | undefined, caps: ModalCaps, openedAt: string): Promise<ReleaseResult>;
  /** Marks the session detached; returns a token, or undefined when it has no modals nor watches (nothing to release). */
  detach(sessionId: string): Promise<string | undefined>;
  /** The session is connected again: its modals stay. */
  attach(sessionId: string): Promise<void>;
  /** Releases every modal and watch of the session if it is still detached with `token`. */
  releaseDetached(sessionId: string, token: string): Promise<Released[]>;
  /** One modal (empty when nobody has it open), or the first `limit` open modals by first opening. */
  list(modalId?: string, limit?: number): Promise<ModalState[]>;
  /** The open modals among `modalIds`, in that order. */
  listMany(modalIds: readonly string[]): Promise<ModalState[]>;
  /** Up to `limit` open modals whose id starts with `prefix`, by id; `hasMore` when more match. */
  listByPrefix(prefix: string, limit: number): Promise<{ modals: ModalState[]; hasMore: boolean }>;
  /** The open modals in which the user has a viewer (at most MAX_OPEN_MODALS_PER_USER), in no set order. */
  listByUser(userId: string): Promise<ModalState[]>;
  /** How many modals the session has open. */
  countBySession(sessionId: string): Promise<number>;
  /** The user's viewers across all of their sessions (what the per-user caps count). */
  countByUser(userId: string): Promise<UserModalCounts>;
  /** Adds to what the session watches. */
  watch(sessionId: string, watches: SessionWatches): Promise<void>;
  /** Removes from what the session watches. */
  unwatch(sessionId: string, watches: SessionWatches): Promise<void>;
  /** What the session watches. */
  watches(sessionId: string): Promise<SessionWatches>;
}

export type RequestedBy = Pick<User, 'id' | 'username'>;

export const MODAL_STORE = Symbol('MODAL_STORE');
export const InjectModalStore = () => Inject(MODAL_STORE);
