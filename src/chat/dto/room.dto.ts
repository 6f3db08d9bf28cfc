import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Length } from 'class-validator';
import type {
  RoomCreatePayload,
  RoomDeletePayload,
  RoomInvitePayload,
  RoomJoinPayload,
  RoomLeavePayload,
  RoomListPayload,
  RoomVisibility,
} from '../../contracts';

export const MAX_INITIAL_MEMBERS = 100;

export class RoomCreateDto implements RoomCreatePayload {
  /** 1–64 characters after trimming (the service trims and re-checks). */
  @IsString()
  @Length(1, 64)
  name: string;

  @IsOptional()
  @IsIn(['public', 'private'])
  visibility?: RoomVisibility;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_INITIAL_MEMBERS)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  members?: string[];
}

export class RoomListDto implements RoomListPayload {
  @IsOptional()
  @IsIn(['joined', 'public'])
  scope?: 'joined' | 'public';
}

export class RoomIdDto implements RoomJoinPayload, RoomLeavePayload, RoomDeletePayload {
  @IsString()
  @Length(1, 64)
  roomId: string;
}

export class RoomInviteDto implements RoomInvitePayload {
  @IsString()
  @Length(1, 64)
  roomId: string;

  @IsString()
  @Length(1, 64)
  userId: string;
}
