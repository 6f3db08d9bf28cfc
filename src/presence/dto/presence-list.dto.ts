import { ArrayMaxSize, IsArray, IsOptional, IsString, Length } from 'class-validator';
import type { PresenceListPayload } from '../../contracts';
import { MAX_PRESENCE_USER_IDS } from './presence-target.dto';

/** `presence:list`: nothing (online users), `roomId` (its members) or `userIds` (those users). */
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
}
