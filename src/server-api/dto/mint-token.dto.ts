import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

/** Longest lifetime of a minted token, in seconds (30 days). */
export const MINTED_TOKEN_MAX_SECONDS = 2_592_000;

export class MintTokenDto {
  @IsString()
  @Length(1, 64)
  userId: string;

  /** Seconds (60–2592000); default JWT_EXPIRES_IN. */
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(MINTED_TOKEN_MAX_SECONDS)
  expiresIn?: number;
}
