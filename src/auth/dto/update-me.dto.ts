import { IsString, Length, Matches } from 'class-validator';

export class UpdateMeDto {
  /** 1–64 characters, not only spaces (stored trimmed). */
  @IsString()
  @Length(1, 64)
  @Matches(/\S/, { message: 'displayName must not be blank' })
  displayName: string;
}
