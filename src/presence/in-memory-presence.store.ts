import type { PresenceConnectResult, PresenceState, PresenceStore, PresenceUpdateResult, UserIdsPage } from './presence.store';

interface Entry extends PresenceState {
  epoch: number;
}

/** Single-instance store: one small object per online user, nothing per socket, plus the ids in order for paging. */
export class InMemoryPresenceStore implements PresenceStore {
  private readonly entries = new Map<string, Entry>();
  /** The keys of `entries`, sorted: a page is a binary search and a slice. */
  private readonly sorted: string[] = [];
  private nextEpoch = 1;

  async connect(userId: string): Promise<PresenceConnectResult> {
    const existing = this.entries.get(userId);
    if (existing) {
      existing.epoch = this.nextEpoch++;
      return { cameOnline: false, state: toState(existing) };
    }
    const entry: Entry = { status: 'online', epoch: this.nextEpoch++ };
    this.add(userId, entry);
    return { cameOnline: true, state: toState(entry) };
  }

  async epoch(userId: string): Promise<number | undefined> {
    return this.entries.get(userId)?.epoch;
  }

  async goOffline(userId: string, epoch: number): Promise<PresenceState | undefined> {
    const entry = this.entries.get(userId);
    if (!entry || entry.epoch !== epoch) return undefined;
    this.entries.delete(userId);
    this.sorted.splice(firstAfter(this.sorted, userId) - 1, 1);
    return toState(entry);
  }

  async update(userId: string, next: PresenceState): Promise<PresenceUpdateResult> {
    const existing = this.entries.get(userId);
    const entry: Entry = { status: next.status, epoch: existing?.epoch ?? this.nextEpoch++ };
    if (next.statusText) entry.statusText = next.statusText;
    if (existing) this.entries.set(userId, entry);
    else this.add(userId, entry);
    return existing ? { previous: toState(existing), current: toState(entry) } : { current: toState(entry) };
  }

  async get(userIds: readonly string[]): Promise<Map<string, PresenceState>> {
    const result = new Map<string, PresenceState>();
    for (const id of userIds) {
      const entry = this.entries.get(id);
      if (entry) result.set(id, toState(entry));
    }
    return result;
  }

  async userIdsPage(after: string | undefined, limit: number): Promise<UserIdsPage> {
    const start = after === undefined ? 0 : firstAfter(this.sorted, after);
    return { ids: this.sorted.slice(start, start + limit), hasMore: start + limit < this.sorted.length };
  }

  private add(userId: string, entry: Entry): void {
    this.entries.set(userId, entry);
    this.sorted.splice(firstAfter(this.sorted, userId), 0, userId);
  }
}

/** Index of the first id greater than `id` in the sorted list (binary search). */
function firstAfter(sorted: readonly string[], id: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid] <= id) low = mid + 1;
    else high = mid;
  }
  return low;
}

function toState(entry: Entry): PresenceState {
  return entry.statusText === undefined ? { status: entry.status } : { status: entry.status, statusText: entry.statusText };
}
