import { IsString, Length } from 'class-validator';

export class ChangePasswordDto {
  @IsString()
  @Length(1, 128)
  currentPassword: string;

  /** 8–128 characters, like a registration's. */
  @IsString()
  @Length(8, 128)
  newPassword: string;
}
