import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

const lowerCase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value);

export class RegisterDto {
  /** 3–32 characters of a-z 0-9 _ . - (case-insensitive, stored lower-case). */
  @Transform(lowerCase)
  @IsString()
  @Matches(/^[a-z0-9_.-]{3,32}$/, { message: 'username must be 3–32 characters of a-z 0-9 _ . -' })
  username: string;

  @IsString()
  @Length(8, 128)
  password: string;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  displayName?: string;
}
