import { IsOptional, IsString, Length } from 'class-validator';
import type { FieldError } from '../../contracts';
import { AppError } from '../../common/errors/app-error';

/** The addressing fields of `message:send` and `typing`; `requireOneTarget` checks exactly one is set. */
export class ChatTargetDto {
  @IsOptional()
  @IsString()
  @Length(1, 64)
  to?: string;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  roomId?: string;
}

export type ChatTarget = { kind: 'user'; userId: string } | { kind: 'room'; roomId: string };

/** `message:send` and `typing` address exactly one of a user (`to`) or a room (`roomId`). */
export function requireOneTarget(payload: { to?: string; roomId?: string }): ChatTarget {
  const hasTo = payload.to !== undefined;
  const hasRoom = payload.roomId !== undefined;
  if (hasTo === hasRoom) {
    const errors = [hasTo ? 'give either to or roomId, not both' : 'one of to or roomId is required'];
    const details: FieldError[] = [
      { field: 'to', errors },
      { field: 'roomId', errors },
    ];
    throw AppError.invalid(`Invalid payload: ${errors[0]}`, details);
  }
  return hasTo ? { kind: 'user', userId: payload.to! } : { kind: 'room', roomId: payload.roomId! };
}
