import { Body, Controller, HttpCode, Ip, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBearer, ApiDtoBody, ApiErrors, model } from '../common/http/openapi.decorators';
import type { User } from '../contracts';
import { UsersService } from '../users/users.service';
import { AuthService } from './auth.service';
import { BearerAuthGuard, CurrentPrincipal } from './bearer-auth.guard';
import { ChangePasswordDto } from './dto/change-password.dto';
import { UpdateMeDto } from './dto/update-me.dto';
import type { Principal } from './principal';

/** The caller's own account: here rather than in users/ because a password change ends sessions (auth). */
@ApiTags('users')
@ApiBearer()
@Controller('users/me')
@UseGuards(BearerAuthGuard)
export class AccountController {
  constructor(
    private readonly users: UsersService,
    private readonly auth: AuthService,
  ) {}

  @Patch()
  @ApiOperation({ summary: 'Change your display name' })
  @ApiDtoBody(UpdateMeDto)
  @ApiOkResponse({ schema: model('User') })
  @ApiErrors('BAD_REQUEST')
  update(@CurrentPrincipal() principal: Principal, @Body() body: UpdateMeDto): Promise<User> {
    return this.users.updateDisplayName(principal.user.id, body.displayName);
  }

  @Post('password')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Change your password',
    description:
      'Every other session ends: its tokens are refused and its sockets get `session:expired` `{ reason: "password_changed" }`. This session keeps working. 403 `PASSWORD_INVALID` for a wrong current password or a user of the identity provider.',
  })
  @ApiDtoBody(ChangePasswordDto)
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiErrors('BAD_REQUEST', 'FORBIDDEN', 'RATE_LIMITED')
  async changePassword(@CurrentPrincipal() principal: Principal, @Body() body: ChangePasswordDto, @Ip() ip: string): Promise<void> {
    await this.auth.changePassword(principal, body.currentPassword, body.newPassword, ip);
  }
}
