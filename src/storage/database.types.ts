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
  /** Tokens without a login (`sid`) issued at or before this are refused (migration 0007). */
  tokens_valid_after: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: string;
  /** Moves when the session is resumed and when its last socket goes. */
  last_seen_at: string;
  /** 1 while the session (as far as the database knows) has an open socket, else 0; defaults to 0. */
  connected: ColumnType<number, number | undefined, number>;
  /** The login (auth_sessions) the session was last opened with; null for provider tokens (migration 0007). */
  auth_session_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** One login: what refresh rotates within and logout ends (migration 0007). */
export interface AuthSessionsTable {
  id: string;
  user_id: string;
  created_at: string;
  /** Moves on every refresh. */
  last_seen_at: string;
  /** When its last refresh token runs out; past it the row is swept. */
  expires_at: string;
  user_agent: string | null;
  ended_at: string | null;
  ended_reason: string | null;
}

/** Refresh tokens, by the SHA-256 of the opaque token; never the token itself (migration 0007). */
export interface RefreshTokensTable {
  token_hash: string;
  auth_session_id: string;
  expires_at: string;
  used_at: string | null;
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
  /** `admin` since migration 0009. */
  role: 'owner' | 'admin' | 'member';
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
  /** Change counter for catch-up, kept by triggers (migration 0008); never written by the code. */
  last_change: ColumnType<number, number | undefined, number>;
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
  /** Migration 0008: set by `message:edit`. */
  edited_at: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 0008: set by `message:delete` (the content is emptied: a tombstone). */
  deleted_at: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 0008: JSON `{ id, seq, from, excerpt }` of the message replied to. */
  reply_to: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 0008: JSON array of mentioned user ids. */
  mentions: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 0008: JSON reaction summary, rewritten with each reaction. */
  reactions: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface MessageReactionsTable {
  message_id: string;
  emoji: string;
  user_id: string;
  created_at: string;
}

export interface MessageMentionsTable {
  conversation_id: string;
  seq: number;
  user_id: string;
}

/** The latest change number per subject (`m:<messageId>`, `r:<userId>`, `u:<userId>`); written by triggers. */
export interface ConversationChangesTable {
  conversation_id: string;
  subject: string;
  change: number;
}

export interface ConversationReadsTable {
  conversation_id: string;
  user_id: string;
  last_read_seq: number;
  updated_at: string;
}

/** Who blocked whom (migration 0009). */
export interface UserBlocksTable {
  blocker_id: string;
  blocked_id: string;
  created_at: string;
}

/** One row (id 1): the epoch of the latest start without Redis (fencing tokens, migration 0010). */
export interface ModalFencingEpochsTable {
  id: number;
  /** bigint: PostgreSQL returns it as a string. */
  epoch: number | string;
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
  auth_sessions: AuthSessionsTable;
  refresh_tokens: RefreshTokensTable;
  rooms: RoomsTable;
  room_members: RoomMembersTable;
  room_invites: RoomInvitesTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  conversation_reads: ConversationReadsTable;
  user_blocks: UserBlocksTable;
  message_reactions: MessageReactionsTable;
  message_mentions: MessageMentionsTable;
  conversation_changes: ConversationChangesTable;
  modal_fencing_epochs: ModalFencingEpochsTable;
  webhook_outbox: WebhookOutboxTable;
}
