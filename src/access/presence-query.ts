import { Inject } from '@nestjs/common';
import type { Presence, User } from '../contracts';

/**
 * What other capabilities (the users API, room member lists) may ask of presence, without
 * importing the presence module itself. Provided globally by PresenceModule.
 */
export interface PresenceQuery {
  /** Presence of each user as `viewerId` may see it (invisible users look offline to others). */
  presenceOf(users: readonly User[], viewerId: string): Promise<Map<string, Presence>>;
  /** Those of `userIds` who are invisible now (others must not see them anywhere). */
  invisibleAmong(userIds: readonly string[]): Promise<Set<string>>;
}

export const PRESENCE_QUERY = Symbol('PRESENCE_QUERY');
export const InjectPresenceQuery = () => Inject(PRESENCE_QUERY);
