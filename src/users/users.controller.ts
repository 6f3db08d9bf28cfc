import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBearer, ApiDtoQuery, ApiErrors, model } from '../common/http/openapi.decorators';
import type { User, UserWithPresence } from '../contracts';
import { BearerAuthGuard, CurrentUser } from '../auth/bearer-auth.guard';
import { InjectPresenceQuery, type PresenceQuery } from '../access/presence-query';
import { ListUsersQuery } from './dto/list-users.query';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearer()
@Controller('users')
@UseGuards(BearerAuthGuard)
export class UsersController {
  constructor(
    private readonly users: UsersService,
    @InjectPresenceQuery() private readonly presence: PresenceQuery,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'The user the token belongs to' })
  @ApiOkResponse({ schema: model('User') })
  me(@CurrentUser() user: User): User {
    return user;
  }

  /** Users by username prefix, each with the presence the caller is allowed to see. */
  @Get()
  @ApiOperation({ summary: 'Users by username prefix, with presence' })
  @ApiDtoQuery(ListUsersQuery)
  @ApiOkResponse({
    schema: { type: 'object', required: ['users'], properties: { users: { type: 'array', items: model('UserWithPresence') } } },
  })
  @ApiErrors('BAD_REQUEST')
  async list(@CurrentUser() viewer: User, @Query() query: ListUsersQuery): Promise<{ users: UserWithPresence[] }> {
    const users = await this.users.search(query.search ?? '', query.limit ?? 50);
    const presence = await this.presence.presenceOf(users, viewer.id);
    return { users: users.map((user) => ({ ...user, presence: presence.get(user.id)! })) };
  }
}
