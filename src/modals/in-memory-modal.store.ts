import type { ModalState, Viewer } from '../contracts';
import type { ModalCap, ModalCaps, ModalStore, OpenResult, Released, UserModalCounts } from './modal.store';

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
