import type { ModalState, Viewer } from '../contracts';
import {
  FENCING_EPOCH_SPAN,
  MAX_REQUESTS_PER_LOCK,
  type LockChange,
  type ModalCap,
  type ModalCaps,
  type ModalStore,
  type OpenResult,
  type Released,
  type ReleaseResult,
  type Requester,
  type RequestResult,
  type SessionWatches,
  type UserModalCounts,
} from './modal.store';

interface Lock {
  holder: string;
  fencingToken: number;
  requests: Requester[];
}

/**
 * Single-instance store: viewers per modal, locks, the session → modals index used on release,
 * the user → viewers index the caps and `modal:state` read, and each session's watches. Every
 * method changes all of them without an `await` in between, so the check and the add of `open`
 * are one step on the event loop.
 *
 * Fencing tokens are `epoch * FENCING_EPOCH_SPAN + n`: `epoch` is taken from the database at each
 * start (it only grows), so a restarted process never hands out a token it gave before.
 */
export class InMemoryModalStore implements ModalStore {
  /** modalId → sessionId → viewer, in opening order. */
  private readonly modals = new Map<string, Map<string, Viewer>>();
  private readonly locks = new Map<string, Lock>();
  private readonly bySession = new Map<string, Set<string>>();
  /** userId → "<sessionId>|<modalId>" of every viewer, and of the exclusive ones. */
  private readonly byUser = new Map<string, { open: Set<string>; exclusive: Set<string> }>();
  private readonly watching = new Map<string, { modalIds: Set<string>; prefixes: Set<string> }>();
  private readonly detached = new Map<string, string>();
  private nextToken = 1;
  private fenced = 0;

  constructor(private readonly epoch = 0) {}

  async open(modalId: string, viewer: Viewer, caps: ModalCaps): Promise<OpenResult> {
    const viewers = this.modals.get(modalId);
    const others = viewers ? [...viewers.values()].filter((v) => v.userId !== viewer.userId) : [];
    const holder = others.find((v) => v.exclusive) ?? (viewer.exclusive ? others[0] : undefined);
    if (holder) return { outcome: 'conflict', holder: { ...holder } };

    const existing = viewers?.get(viewer.sessionId);
    if (existing && existing.exclusive === viewer.exclusive) return { outcome: 'unchanged', state: this.state(modalId)! };
    const counts = this.userIndex(viewer.userId);
    if (!existing) {
      if ((this.bySession.get(viewer.sessionId)?.size ?? 0) >= caps.perSession) return limit('session', caps.perSession);
      if (counts.open.size >= caps.perUser) return limit('user', caps.perUser);
    }
    if (viewer.exclusive && counts.exclusive.size >= caps.exclusivePerUser) return limit('exclusive', caps.exclusivePerUser);

    // A changed flag keeps the original openedAt (and position): it is the same viewer.
    const stored = this.put(modalId, existing ? { ...existing, exclusive: viewer.exclusive } : { ...viewer });
    const lock = this.relock(modalId);
    return { outcome: 'opened', state: this.state(modalId)!, viewer: { ...stored }, ...(lock && { lock }) };
  }

  async close(modalId: string, sessionId: string): Promise<Released | undefined> {
    const viewer = this.modals.get(modalId)?.get(sessionId);
    if (!viewer) return undefined;
    this.remove(modalId, sessionId);
    const lock = this.relock(modalId);
    return { modalId, viewer: { ...viewer }, ...(lock && { lock }) };
  }

  async request(modalId: string, requester: Requester): Promise<RequestResult> {
    const lock = this.locks.get(modalId);
    const holder = lock && this.modals.get(modalId)?.get(lock.holder);
    if (!lock || !holder || holder.userId === requester.userId) return { outcome: 'not-held' };
    lock.requests = lock.requests.filter((r) => r.userId !== requester.userId).concat({ ...requester });
    if (lock.requests.length > MAX_REQUESTS_PER_LOCK) lock.requests.shift();
    return { outcome: 'requested', holder: { ...holder }, fencingToken: lock.fencingToken };
  }

  async release(modalId: string, sessionId: string, to: string | undefined, caps: ModalCaps, openedAt: string): Promise<ReleaseResult> {
    const lock = this.locks.get(modalId);
    const viewers = this.modals.get(modalId);
    const holder = viewers?.get(sessionId);
    if (!lock || !viewers || !holder || lock.holder !== sessionId) return { outcome: 'not-holder' };
    const requester = to === undefined ? undefined : lock.requests.find((r) => r.userId === to);
    if (to !== undefined && !requester) return { outcome: 'no-request' };
    const existing = requester && viewers.get(requester.sessionId);
    if (requester) {
      const counts = this.userIndex(requester.userId);
      if (!existing && (this.bySession.get(requester.sessionId)?.size ?? 0) >= caps.perSession) return limit('session', caps.perSession);
      if (!existing && counts.open.size >= caps.perUser) return limit('user', caps.perUser);
      if (counts.exclusive.size >= caps.exclusivePerUser) return limit('exclusive', caps.exclusivePerUser);
    }
    const changed: Viewer[] = [];
    for (const v of [...viewers.values()]) {
      if (v.userId === holder.userId && v.exclusive) changed.push({ ...this.put(modalId, { ...v, exclusive: false }) });
    }
    this.locks.delete(modalId);
    if (!requester) return { outcome: 'released', changed, lock: { fencingToken: lock.fencingToken } };
    const taken = this.put(
      modalId,
      existing
        ? { ...existing, exclusive: true }
        : { userId: requester.userId, username: requester.username, sessionId: requester.sessionId, exclusive: true, openedAt },
    );
    changed.push({ ...taken });
    const fencingToken = this.fence();
    this.locks.set(modalId, { holder: taken.sessionId, fencingToken, requests: [] });
    return { outcome: 'released', changed, lock: { holder: { ...taken }, fencingToken } };
  }

  async detach(sessionId: string): Promise<string | undefined> {
    if (!this.bySession.has(sessionId) && !this.watching.has(sessionId)) return undefined;
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
    this.watching.delete(sessionId);
    const released: Released[] = [];
    for (const modalId of [...(this.bySession.get(sessionId) ?? [])]) {
      const viewer = this.modals.get(modalId)?.get(sessionId);
      this.remove(modalId, sessionId);
      const lock = this.relock(modalId);
      if (viewer) released.push({ modalId, viewer: { ...viewer }, ...(lock && { lock }) });
    }
    return released;
  }

  async list(modalId?: string, limit = Infinity): Promise<ModalState[]> {
    if (modalId !== undefined) return this.listMany([modalId]);
    const states: ModalState[] = [];
    for (const id of this.modals.keys()) {
      if (states.length >= limit) break;
      states.push(this.state(id)!);
    }
    return states;
  }

  async listMany(modalIds: readonly string[]): Promise<ModalState[]> {
    return modalIds.flatMap((id) => this.state(id) ?? []);
  }

  async listByPrefix(prefix: string, limit: number): Promise<{ modals: ModalState[]; hasMore: boolean }> {
    // A scan of the open modals' ids: bounded by the caps on what users may open.
    const ids = [...this.modals.keys()].filter((id) => id.startsWith(prefix)).sort(compareIds);
    return { modals: ids.slice(0, limit).map((id) => this.state(id)!), hasMore: ids.length > limit };
  }

  async listByUser(userId: string): Promise<ModalState[]> {
    const ids = new Set([...(this.byUser.get(userId)?.open ?? [])].map((member) => member.slice(member.indexOf('|') + 1)));
    return this.listMany([...ids]);
  }

  async countBySession(sessionId: string): Promise<number> {
    return this.bySession.get(sessionId)?.size ?? 0;
  }

  async countByUser(userId: string): Promise<UserModalCounts> {
    const index = this.byUser.get(userId);
    return { open: index?.open.size ?? 0, exclusive: index?.exclusive.size ?? 0 };
  }

  async watch(sessionId: string, watches: SessionWatches): Promise<void> {
    let entry = this.watching.get(sessionId);
    if (!entry) this.watching.set(sessionId, (entry = { modalIds: new Set(), prefixes: new Set() }));
    for (const id of watches.modalIds) entry.modalIds.add(id);
    for (const prefix of watches.prefixes) entry.prefixes.add(prefix);
  }

  async unwatch(sessionId: string, watches: SessionWatches): Promise<void> {
    const entry = this.watching.get(sessionId);
    if (!entry) return;
    for (const id of watches.modalIds) entry.modalIds.delete(id);
    for (const prefix of watches.prefixes) entry.prefixes.delete(prefix);
    if (entry.modalIds.size === 0 && entry.prefixes.size === 0) this.watching.delete(sessionId);
  }

  async watches(sessionId: string): Promise<SessionWatches> {
    const entry = this.watching.get(sessionId);
    return { modalIds: [...(entry?.modalIds ?? [])], prefixes: [...(entry?.prefixes ?? [])] };
  }

  private fence(): number {
    this.fenced += 1;
    // Past the span the next epoch's tokens would be reached: refuse rather than repeat one.
    if (this.fenced >= FENCING_EPOCH_SPAN) throw new Error('fencing tokens of this epoch are used up: restart the instance');
    return this.epoch * FENCING_EPOCH_SPAN + this.fenced;
  }

  /** The holder stays while it is an exclusive viewer; otherwise the earliest exclusive viewer takes it. */
  private relock(modalId: string): LockChange | undefined {
    const viewers = this.modals.get(modalId);
    const lock = this.locks.get(modalId);
    if (lock && viewers?.get(lock.holder)?.exclusive) return undefined;
    const next = viewers && [...viewers.values()].find((v) => v.exclusive);
    if (!next) {
      if (!lock) return undefined;
      this.locks.delete(modalId);
      return { fencingToken: lock.fencingToken };
    }
    const fencingToken = this.fence();
    this.locks.set(modalId, { holder: next.sessionId, fencingToken, requests: [] });
    return { holder: { ...next }, fencingToken };
  }

  private userIndex(userId: string): { open: Set<string>; exclusive: Set<string> } {
    let index = this.byUser.get(userId);
    if (!index) this.byUser.set(userId, (index = { open: new Set(), exclusive: new Set() }));
    return index;
  }

  /** Adds or updates a viewer in the modal and every index. */
  private put(modalId: string, viewer: Viewer): Viewer {
    let viewers = this.modals.get(modalId);
    if (!viewers) this.modals.set(modalId, (viewers = new Map<string, Viewer>()));
    viewers.set(viewer.sessionId, viewer);
    let sessionModals = this.bySession.get(viewer.sessionId);
    if (!sessionModals) this.bySession.set(viewer.sessionId, (sessionModals = new Set()));
    sessionModals.add(modalId);
    const index = this.userIndex(viewer.userId);
    const member = `${viewer.sessionId}|${modalId}`;
    index.open.add(member);
    if (viewer.exclusive) index.exclusive.add(member);
    else index.exclusive.delete(member);
    return viewer;
  }

  private state(modalId: string): ModalState | undefined {
    const viewers = this.modals.get(modalId);
    if (!viewers) return undefined;
    const state: ModalState = { modalId, viewers: [...viewers.values()].map((v) => ({ ...v })) };
    const lock = this.locks.get(modalId);
    const holder = lock && viewers.get(lock.holder);
    if (lock && holder) state.lock = { holder: { ...holder }, fencingToken: lock.fencingToken };
    return state;
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
      if (!this.watching.has(sessionId)) this.detached.delete(sessionId);
    }
    const index = this.byUser.get(viewer.userId);
    if (!index) return;
    const member = `${sessionId}|${modalId}`;
    index.open.delete(member);
    index.exclusive.delete(member);
    if (index.open.size === 0) this.byUser.delete(viewer.userId);
  }
}

/** Code-unit order, the same as Redis's byte order for the ASCII ids clients use. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function limit(cap: ModalCap, value: number): { outcome: 'limit'; cap: ModalCap; limit: number } {
  return { outcome: 'limit', cap, limit: value };
}
