import { OmitType } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { RegisterDto } from '../../auth/dto/register.dto';

/** A registration without a password (the user signs in with tokens the backend mints). */
export class ProvisionUserDto extends OmitType(RegisterDto, ['password'] as const) {
  /** The app's own id for the user: provisioning again with it returns the same user. */
  @IsOptional()
  @IsString()
  @Length(1, 255)
  externalId?: string;
}
