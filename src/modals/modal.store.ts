import { Inject } from '@nestjs/common';
import type { ModalState, Viewer } from '../contracts';

export type OpenResult =
  /** The viewer was added, or its `exclusive` flag changed: announce it. */
  | { outcome: 'opened'; state: ModalState; viewer: Viewer }
  /** This session already had it open with the same flag: nothing to announce. */
  | { outcome: 'unchanged'; state: ModalState }
  | { outcome: 'conflict'; holder: Viewer };

/** A viewer released from a modal. */
export interface Released {
  modalId: string;
  viewer: Viewer;
}

/**
 * Who has which modal open, shared by every instance. `open` decides conflicts and adds the
 * viewer in one atomic step, so two users racing for an exclusive modal on two instances
 * cannot both win; a Redis implementation does it in one script per modal key.
 *
 * Sessions whose sockets are all gone are "detached" with a token; `releaseDetached` releases
 * their modals only if they were not re-attached since (a resume inside the grace period).
 */
export interface ModalStore {
  /**
   * Opens `modalId` for `viewer.sessionId`. Refused (`conflict`, with the holder) when a viewer
   * of another user holds it exclusively, or when `viewer.exclusive` is asked while another
   * user has it open. Viewers of the same user never conflict.
   */
  open(modalId: string, viewer: Viewer): Promise<OpenResult>;
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
  /** How many modals the session has open (for per-session caps). */
  countBySession(sessionId: string): Promise<number>;
}

export const MODAL_STORE = Symbol('MODAL_STORE');
export const InjectModalStore = () => Inject(MODAL_STORE);

/** Single-instance store: viewers per modal plus the session → modals index used on release. */
export class InMemoryModalStore implements ModalStore {
  /** modalId → sessionId → viewer, in opening order. */
  private readonly modals = new Map<string, Map<string, Viewer>>();
  private readonly bySession = new Map<string, Set<string>>();
  private readonly detached = new Map<string, string>();
  private nextToken = 1;

  async open(modalId: string, viewer: Viewer): Promise<OpenResult> {
    const viewers = this.modals.get(modalId);
    const others = viewers ? [...viewers.values()].filter((v) => v.userId !== viewer.userId) : [];
    const holder = others.find((v) => v.exclusive) ?? (viewer.exclusive ? others[0] : undefined);
    if (holder) return { outcome: 'conflict', holder: { ...holder } };

    const existing = viewers?.get(viewer.sessionId);
    if (existing && existing.exclusive === viewer.exclusive) return { outcome: 'unchanged', state: this.state(modalId)! };
    // A changed flag keeps the original openedAt (and position): it is the same viewer.
    const stored: Viewer = existing ? { ...existing, exclusive: viewer.exclusive } : { ...viewer };
    let map = viewers;
    if (!map) this.modals.set(modalId, (map = new Map<string, Viewer>()));
    map.set(viewer.sessionId, stored);
    let sessionModals = this.bySession.get(viewer.sessionId);
    if (!sessionModals) this.bySession.set(viewer.sessionId, (sessionModals = new Set()));
    sessionModals.add(modalId);
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

  private state(modalId: string): ModalState | undefined {
    const viewers = this.modals.get(modalId);
    return viewers && { modalId, viewers: [...viewers.values()].map((v) => ({ ...v })) };
  }

  private remove(modalId: string, sessionId: string): void {
    const viewers = this.modals.get(modalId);
    viewers?.delete(sessionId);
    if (viewers?.size === 0) this.modals.delete(modalId);
    const sessionModals = this.bySession.get(sessionId);
    sessionModals?.delete(modalId);
    if (sessionModals?.size === 0) {
      this.bySession.delete(sessionId);
      this.detached.delete(sessionId);
    }
  }
}
