/**
 * Kysely table types. Timestamps are ISO-8601 UTC strings on both engines so rows read the
 * same from SQLite and PostgreSQL and compare correctly as text.
 */
export interface UsersTable {
  id: string;
  /** Lower-cased; unique. */
  username: string;
  display_name: string;
  password_hash: string;
  created_at: string;
  last_seen_at: string | null;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
}
