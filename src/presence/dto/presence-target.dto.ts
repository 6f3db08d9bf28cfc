import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, IsString, Length } from 'class-validator';
import type { PresenceSubscribePayload, PresenceUnsubscribePayload } from '../../contracts';

export const MAX_PRESENCE_USER_IDS = 500;

/** `presence:subscribe` and `presence:unsubscribe`: named users (≤ 500 per call) and/or `all`. */
export class PresenceTargetDto implements PresenceSubscribePayload, PresenceUnsubscribePayload {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_PRESENCE_USER_IDS)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  userIds?: string[];

  @IsOptional()
  @IsBoolean()
  all?: boolean;
}
