import { IsIn, IsString, Length, ValidateIf } from 'class-validator';
import type { AssignableRoomRole, RoomKickPayload, RoomSetRolePayload, RoomUpdatePayload, RoomVisibility } from '../../contracts';
import { RoomInviteDto } from './room.dto';

/** Optional, but `null` is refused (it would mean neither "leave as is" nor a value). */
const IfPresent = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined);

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

/** A room and one of its members: the shape of `room:invite`. */
export class RoomKickDto extends RoomInviteDto implements RoomKickPayload {}

export class RoomSetRoleDto extends RoomInviteDto implements RoomSetRolePayload {
  @IsIn(['admin', 'member'])
  role: AssignableRoomRole;
}
