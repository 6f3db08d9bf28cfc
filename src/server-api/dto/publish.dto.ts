import { Allow, ArrayMaxSize, IsArray, IsOptional, IsString, Length, Matches } from 'class-validator';

/** Users and rooms one publish may address (each a single emit, whatever its size). */
export const PUBLISH_MAX_TARGETS = 1000;

export class PublishDto {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(PUBLISH_MAX_TARGETS)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  users?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(PUBLISH_MAX_TARGETS)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  rooms?: string[];

  @IsString()
  @Matches(/^[a-z0-9:._-]{1,64}$/, { message: 'event must be 1–64 characters of a-z 0-9 : . _ -' })
  event: string;

  /** Any JSON, null included (required; serialized at most 32 KiB; nesting as for every payload). The service checks it. */
  @Allow()
  data: unknown;
}
