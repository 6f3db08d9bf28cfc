import { Inject } from '@nestjs/common';

/** What a due deadline carries back: the epoch or token the decision must be re-checked against. */
export interface DueDeadline {
  id: string;
  payload: string;
}

/**
 * Pending "after the grace period" decisions (a user going offline, a session's modals being
 * released), kept where every instance can see them. The instance that started a grace period
 * holds a local timer as the fast path; when it dies or shuts down before the timer fires, any
 * other instance's sweep finds the deadline and makes the decision instead. Taking a deadline
 * is atomic, so exactly one instance acts on it, and never before it is due.
 *
 * `kind` separates the users (presence) from the sessions (modals).
 */
export interface GraceDeadlines {
  /** Sets (or replaces) the deadline of `id`, with what to re-check when it is due. */
  schedule(kind: string, id: string, dueAt: number, payload: string): Promise<void>;
  /** Drops the deadline of `id` (it came back). */
  cancel(kind: string, id: string): Promise<void>;
  /** Takes the deadlines of `ids` that are due by `now` (absent or not yet due ones are left out). */
  takeIfDue(kind: string, ids: readonly string[], now: number): Promise<DueDeadline[]>;
  /** Takes up to `limit` deadlines due by `now`, earliest first. */
  takeDue(kind: string, now: number, limit: number): Promise<DueDeadline[]>;
}

export const GRACE_DEADLINES = Symbol('GRACE_DEADLINES');
export const InjectGraceDeadlines = () => Inject(GRACE_DEADLINES);
