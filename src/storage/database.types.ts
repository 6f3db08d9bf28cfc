import type { ColumnType, Generated } from 'kysely';

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
  /** The identity provider's subject (or the app backend's id) for users from elsewhere (migration 0006). */
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Set when the user was deleted; the row stays for their messages' author id (migration 0006). */
  deleted_at: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: string;
  /** Moves when the session is resumed and when its last socket goes. */
  last_seen_at: string;
  /** 1 while the session (as far as the database knows) has an open socket, else 0; defaults to 0. */
  connected: ColumnType<number, number | undefined, number>;
}

export interface RoomsTable {
  id: string;
  name: string;
  visibility: 'public' | 'private';
  owner_id: string;
  created_at: string;
  /** Kept by triggers on room_members (migration 0003); never written by the code. */
  member_count: Generated<number>;
}

export interface RoomMembersTable {
  room_id: string;
  user_id: string;
  role: 'owner' | 'member';
  joined_at: string;
  /** Who added the user (`room:create { members }`); null when they created or joined it themselves. */
  added_by: string | null;
}

export interface RoomInvitesTable {
  room_id: string;
  user_id: string;
  invited_by: string;
  created_at: string;
}

/** One row per DM pair or room; `last_seq` is the per-conversation message counter. */
export interface ConversationsTable {
  /** `dm:<userIdA>:<userIdB>` (sorted) or `room:<roomId>`. */
  id: string;
  kind: 'dm' | 'room';
  room_id: string | null;
  user_a: string | null;
  user_b: string | null;
  last_seq: number;
  last_message_at: string | null;
  created_at: string;
}

export interface MessagesTable {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  sender_username: string;
  recipient_id: string | null;
  room_id: string | null;
  content: string;
  client_msg_id: string | null;
  created_at: string;
}

export interface ConversationReadsTable {
  conversation_id: string;
  user_id: string;
  last_read_seq: number;
  updated_at: string;
}

/** One delivery owed to one webhook URL (migration 0011); deleted once delivered or given up on. */
export interface WebhookOutboxTable {
  id: string;
  /** The `webhook-id` and body `id`: the same for every URL, so a receiver dedupes on it. */
  event_id: string;
  type: string;
  url: string;
  /** The exact JSON that is signed and sent. */
  body: string;
  created_at: string;
  /** Due time of the next attempt; also the lease of the instance delivering it. */
  next_attempt_at: string;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  rooms: RoomsTable;
  room_members: RoomMembersTable;
  room_invites: RoomInvitesTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  conversation_reads: ConversationReadsTable;
  webhook_outbox: WebhookOutboxTable;
}
