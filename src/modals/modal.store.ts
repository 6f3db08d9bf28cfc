import { Inject } from '@nestjs/common';
import type { ModalState, Viewer } from '../contracts';

export type OpenResult =
  /** The viewer was added, or its `exclusive` flag changed: announce it. */
  | { outcome: 'opened'; state: ModalState; viewer: Viewer }
  /** This session already had it open with the same flag: nothing to announce. */
  | { outcome: 'unchanged'; state: ModalState }
  | { outcome: 'conflict'; holder: Viewer }
  /** Opening would pass one of the caps: nothing changed. */
  | { outcome: 'limit'; cap: ModalCap; limit: number };

/** Which cap refused an open. */
export type ModalCap = 'session' | 'user' | 'exclusive';

/**
 * The caps `open` enforces in the same atomic step as the add, so concurrent opens (many sockets
 * or sessions, many instances) can never pass them. Each counts only the opening user's own viewers.
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

/** A viewer released from a modal. */
export interface Released {
  modalId: string;
  viewer: Viewer;
}

/**
 * Who has which modal open, shared by every instance. `open` decides conflicts and caps and adds
 * the viewer in one atomic step, so two users racing for an exclusive modal on two instances
 * cannot both win and no number of concurrent opens passes a cap; a Redis implementation does it
 * in one script.
 *
 * Sessions whose sockets are all gone are "detached" with a token; `releaseDetached` releases
 * their modals only if they were not re-attached since (a resume inside the grace period).
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
  /** Marks the session detached; returns a token, or undefined when it has no modals (nothing to release). */
  detach(sessionId: string): Promise<string | undefined>;
  /** The session is connected again: its modals stay. */
  attach(sessionId: string): Promise<void>;
  /** Releases every modal of the session if it is still detached with `token`. */
  releaseDetached(sessionId: string, token: string): Promise<Released[]>;
  /** One modal (empty when nobody has it open) or every open modal. */
  list(modalId?: string): Promise<ModalState[]>;
  /** How many modals the session has open. */
  countBySession(sessionId: string): Promise<number>;
  /** The user's viewers across all of their sessions (what the per-user caps count). */
  countByUser(userId: string): Promise<UserModalCounts>;
}

export const MODAL_STORE = Symbol('MODAL_STORE');
export const InjectModalStore = () => Inject(MODAL_STORE);
