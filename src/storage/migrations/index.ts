import type { Migration } from 'kysely';
import * as m0001 from './0001-users-and-sessions';

/**
 * Every migration, in order, for both engines. Add new ones at the end with the next number;
 * never edit one that has shipped. They run at start (see DatabaseModule).
 */
export const migrations: Record<string, Migration> = {
  '0001-users-and-sessions': m0001,
};
