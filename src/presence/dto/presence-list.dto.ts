import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { PresenceListPayload } from '../../contracts';
import { MAX_PRESENCE_USER_IDS } from './presence-target.dto';

/** Largest page of `presence:list`, and the size of the online snapshot `presence:subscribe { all }` answers. */
export const MAX_PRESENCE_PAGE = 500;
export const DEFAULT_PRESENCE_PAGE = 100;

/** `presence:list`: nothing (online users), `roomId` (its members) or `userIds` (those users); the first two paged. */
export class PresenceListDto implements PresenceListPayload {
  @IsOptional()
  @IsString()
  @Length(1, 64)
  roomId?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_PRESENCE_USER_IDS)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  userIds?: string[];

  /** The `next` of the previous page: the last user id it held. */
  @IsOptional()
  @IsString()
  @Length(1, 64)
  after?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_PRESENCE_PAGE)
  limit?: number;
}
