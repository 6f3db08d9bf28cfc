import type { DueDeadline, GraceDeadlines } from './grace-deadlines';

/** Single-instance deadlines: the local timers always fire here, so this is only their bookkeeping. */
export class InMemoryGraceDeadlines implements GraceDeadlines {
  private readonly kinds = new Map<string, Map<string, { dueAt: number; payload: string }>>();

  private of(kind: string): Map<string, { dueAt: number; payload: string }> {
    let map = this.kinds.get(kind);
    if (!map) this.kinds.set(kind, (map = new Map<string, { dueAt: number; payload: string }>()));
    return map;
  }

  async schedule(kind: string, id: string, dueAt: number, payload: string): Promise<void> {
    this.of(kind).set(id, { dueAt, payload });
  }

  async cancel(kind: string, id: string): Promise<void> {
    this.of(kind).delete(id);
  }

  async takeIfDue(kind: string, ids: readonly string[], now: number): Promise<DueDeadline[]> {
    const deadlines = this.of(kind);
    const due: DueDeadline[] = [];
    for (const id of ids) {
      const entry = deadlines.get(id);
      if (!entry || entry.dueAt > now) continue;
      deadlines.delete(id);
      due.push({ id, payload: entry.payload });
    }
    return due;
  }

  async takeDue(kind: string, now: number, limit: number): Promise<DueDeadline[]> {
    const due = [...this.of(kind)]
      .filter(([, e]) => e.dueAt <= now)
      .sort(([, a], [, b]) => a.dueAt - b.dueAt)
      .slice(0, limit);
    for (const [id] of due) this.of(kind).delete(id);
    return due.map(([id, e]) => ({ id, payload: e.payload }));
  }
}
