import { IsBoolean, IsOptional } from 'class-validator';

export class LogoutDto {
  /** End every session of the user, not only the one of this token. */
  @IsOptional()
  @IsBoolean()
  allSessions?: boolean;
}
