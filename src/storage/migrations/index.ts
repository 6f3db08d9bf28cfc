import type { Migration } from 'kysely';
import * as m0001 from './0001-users-and-sessions';
import * as m0002 from './0002-chat';
import * as m0003 from './0003-room-membership';
import * as m0004 from './0004-session-expiry';
import * as m0005 from './0005-conversation-activity';
import * as m0006 from './0006-user-identity';
import * as m0007 from './0007-auth-sessions';
import * as m0008 from './0008-messages-complete';
import * as m0009 from './0009-rooms-and-blocks';
import * as m0010 from './0010-modal-fencing';
import * as m0011 from './0011-webhook-outbox';
import * as m0012 from './0012-search-index-batches';

/**
 * Every migration, in order, for both engines. Add new ones at the end with the next number;
 * never edit one that has shipped. They run at start (see DatabaseModule).
 */
export const migrations: Record<string, Migration> = {
  '0001-users-and-sessions': m0001,
  '0002-chat': m0002,
  '0003-room-membership': m0003,
  '0004-session-expiry': m0004,
  '0005-conversation-activity': m0005,
  '0006-user-identity': m0006,
  '0007-auth-sessions': m0007,
  '0008-messages-complete': m0008,
  '0009-rooms-and-blocks': m0009,
  '0010-modal-fencing': m0010,
  '0011-webhook-outbox': m0011,
  '0012-search-index-batches': m0012,
};
