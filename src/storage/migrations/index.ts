import type { Migration } from 'kysely';
import * as m0001 from './0001-users-and-sessions';
import * as m0002 from './0002-chat';
// 0003 (rooms) and 0004 (auth) come from sibling branches; the lead renumbers on merge.
import * as m0005 from './0005-conversation-activity';

/**
 * Every migration, in order, for both engines. Add new ones at the end with the next number;
 * never edit one that has shipped. They run at start (see DatabaseModule).
 */
export const migrations: Record<string, Migration> = {
  '0001-users-and-sessions': m0001,
  '0002-chat': m0002,
  '0005-conversation-activity': m0005,
};
