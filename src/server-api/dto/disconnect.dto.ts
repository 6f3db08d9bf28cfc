import { IsOptional, IsString, Length } from 'class-validator';

export class DisconnectDto {
  /** Only this session's sockets (it must be the user's); omitted: every socket of the user. */
  @IsOptional()
  @IsString()
  @Length(1, 64)
  sessionId?: string;
}
