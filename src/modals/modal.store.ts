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

/**
 * Single-instance store: viewers per modal plus the session → modals index used on release and
 * the per-user counts the caps read. Every method changes all of them without an `await` in
 * between, so the check and the add of `open` are one step on the event loop.
 */
export class InMemoryModalStore implements ModalStore {
  /** modalId → sessionId → viewer, in opening order. */
  private readonly modals = new Map<string, Map<string, Viewer>>();
  private readonly bySession = new Map<string, Set<string>>();
  private readonly byUser = new Map<string, UserModalCounts>();
  private readonly detached = new Map<string, string>();
  private nextToken = 1;

  async open(modalId: string, viewer: Viewer, caps: ModalCaps): Promise<OpenResult> {
    const viewers = this.modals.get(modalId);
    const others = viewers ? [...viewers.values()].filter((v) => v.userId !== viewer.userId) : [];
    const holder = others.find((v) => v.exclusive) ?? (viewer.exclusive ? others[0] : undefined);
    if (holder) return { outcome: 'conflict', holder: { ...holder } };

    const existing = viewers?.get(viewer.sessionId);
    if (existing && existing.exclusive === viewer.exclusive) return { outcome: 'unchanged', state: this.state(modalId)! };
    const counts = this.byUser.get(viewer.userId) ?? { open: 0, exclusive: 0 };
    if (!existing) {
      if ((this.bySession.get(viewer.sessionId)?.size ?? 0) >= caps.perSession) return limit('session', caps.perSession);
      if (counts.open >= caps.perUser) return limit('user', caps.perUser);
    }
    if (viewer.exclusive && counts.exclusive >= caps.exclusivePerUser) return limit('exclusive', caps.exclusivePerUser);

    // A changed flag keeps the original openedAt (and position): it is the same viewer.
    const stored: Viewer = existing ? { ...existing, exclusive: viewer.exclusive } : { ...viewer };
    let map = viewers;
    if (!map) this.modals.set(modalId, (map = new Map<string, Viewer>()));
    map.set(viewer.sessionId, stored);
    let sessionModals = this.bySession.get(viewer.sessionId);
    if (!sessionModals) this.bySession.set(viewer.sessionId, (sessionModals = new Set()));
    sessionModals.add(modalId);
    this.byUser.set(viewer.userId, {
      open: counts.open + (existing ? 0 : 1),
      exclusive: counts.exclusive + (viewer.exclusive ? 1 : existing ? -1 : 0),
    });
    return { outcome: 'opened', state: this.state(modalId)!, viewer: { ...stored } };
  }

  async close(modalId: string, sessionId: string): Promise<Released | undefined> {
    const viewer = this.modals.get(modalId)?.get(sessionId);
    if (!viewer) return undefined;
    this.remove(modalId, sessionId);
    return { modalId, viewer: { ...viewer } };
  }

  async detach(sessionId: string): Promise<string | undefined> {
    if (!this.bySession.has(sessionId)) return undefined;
    const token = String(this.nextToken++);
    this.detached.set(sessionId, token);
    return token;
  }

  async attach(sessionId: string): Promise<void> {
    this.detached.delete(sessionId);
  }

  async releaseDetached(sessionId: string, token: string): Promise<Released[]> {
    if (this.detached.get(sessionId) !== token) return [];
    this.detached.delete(sessionId);
    const released: Released[] = [];
    for (const modalId of [...(this.bySession.get(sessionId) ?? [])]) {
      const viewer = this.modals.get(modalId)?.get(sessionId);
      if (viewer) released.push({ modalId, viewer: { ...viewer } });
      this.remove(modalId, sessionId);
    }
    return released;
  }

  async list(modalId?: string): Promise<ModalState[]> {
    if (modalId !== undefined) {
      const state = this.state(modalId);
      return state ? [state] : [];
    }
    return [...this.modals.keys()].map((id) => this.state(id)!);
  }

  async countBySession(sessionId: string): Promise<number> {
    return this.bySession.get(sessionId)?.size ?? 0;
  }

  async countByUser(userId: string): Promise<UserModalCounts> {
    return { ...(this.byUser.get(userId) ?? { open: 0, exclusive: 0 }) };
  }

  private state(modalId: string): ModalState | undefined {
    const viewers = this.modals.get(modalId);
    return viewers && { modalId, viewers: [...viewers.values()].map((v) => ({ ...v })) };
  }

  private remove(modalId: string, sessionId: string): void {
    const viewers = this.modals.get(modalId);
    const viewer = viewers?.get(sessionId);
    if (!viewer) return;
    viewers!.delete(sessionId);
    if (viewers!.size === 0) this.modals.delete(modalId);
    const sessionModals = this.bySession.get(sessionId);
    sessionModals?.delete(modalId);
    if (sessionModals?.size === 0) {
      this.bySession.delete(sessionId);
      this.detached.delete(sessionId);
    }
    const counts = this.byUser.get(viewer.userId);
    if (!counts) return;
    const next = { open: counts.open - 1, exclusive: counts.exclusive - (viewer.exclusive ? 1 : 0) };
    if (next.open <= 0) this.byUser.delete(viewer.userId);
    else this.byUser.set(viewer.userId, next);
  }
}

function limit(cap: ModalCap, value: number): OpenResult {
  return { outcome: 'limit', cap, limit: value };
}
