import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { QueryInt } from '../../common/validation/query-int.decorator';

/** `GET /users?search=&limit=`: a query string, so `limit` is converted (strictly) from its digits. */
export class ListUsersQuery {
  /** Username prefix, case-insensitive. */
  @IsOptional()
  @IsString()
  @MaxLength(32)
  search?: string;

  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
