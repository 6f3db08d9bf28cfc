import { IsIn, IsString, Length, ValidateIf } from 'class-validator';

/** Optional, but `null` is refused (it would mean neither "leave as is" nor a value). */
const IfPresent = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined);
import type { AssignableRoomRole, RoomKickPayload, RoomSetRolePayload, RoomUpdatePayload, RoomVisibility } from '../../contracts';

/** `room:update`: at least one of `name` and `visibility` (the service checks). */
export class RoomUpdateDto implements RoomUpdatePayload {
  @IsString()
  @Length(1, 64)
  roomId: string;

  /** 1–64 characters after trimming. */
  @IfPresent()
  @IsString()
  @Length(1, 64)
  name?: string;

  @IfPresent()
  @IsIn(['public', 'private'])
  visibility?: RoomVisibility;
}

export class RoomKickDto implements RoomKickPayload {
  @IsString()
  @Length(1, 64)
  roomId: string;

  @IsString()
  @Length(1, 64)
  userId: string;
}

export class RoomSetRoleDto implements RoomSetRolePayload {
  @IsString()
  @Length(1, 64)
  roomId: string;

  @IsString()
  @Length(1, 64)
  userId: string;

  @IsIn(['admin', 'member'])
  role: AssignableRoomRole;
}
