import { IsString, Length } from 'class-validator';

export class RefreshDto {
  /** The `refreshToken` of the last register, login or refresh (single use). */
  @IsString()
  @Length(1, 512)
  refreshToken: string;
}
