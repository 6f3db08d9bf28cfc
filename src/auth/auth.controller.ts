import { Body, Controller, Delete, Get, Headers, HttpCode, Ip, Param, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiBearer, ApiDtoBody, ApiErrors, model } from '../common/http/openapi.decorators';
import type { AuthResult, AuthSession } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { AuthSessionsService } from './auth-sessions.service';
import { AuthService } from './auth.service';
import { BearerAuthGuard, CurrentPrincipal } from './bearer-auth.guard';
import { LoginDto } from './dto/login.dto';
import { LogoutDto } from './dto/logout.dto';
import { RefreshDto } from './dto/refresh.dto';
import { RegisterDto } from './dto/register.dto';
import type { Principal } from './principal';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: AuthSessionsService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * 201 with tokens; 409 when the username is taken; 429 RATE_LIMITED over REGISTER_MAX_PER_IP
   * per hour from one address, or while the password-hashing queue is full. 404 with AUTH_LOCAL=false.
   */
  @Post('register')
  @ApiOperation({
    summary: 'Create an account and get tokens',
    description:
      '429 (`details.retryAfterMs`) after too many registrations from one address, or while the server is busy hashing passwords. 404 when the deployment turned local accounts off (`AUTH_LOCAL=false`).',
  })
  @ApiDtoBody(RegisterDto)
  @ApiCreatedResponse({ schema: model('AuthResult') })
  @ApiErrors('BAD_REQUEST', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED')
  register(@Body() body: RegisterDto, @Ip() ip: string, @Headers('user-agent') userAgent?: string): Promise<AuthResult> {
    this.requireLocal();
    return this.auth.register(body, ip, userAgent);
  }

  /**
   * 200 with tokens; 401 with the same message for an unknown user and a wrong password;
   * 429 RATE_LIMITED after too many failures for one username from one address, or while the
   * password-hashing queue is full. 404 with AUTH_LOCAL=false.
   */
  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in and get tokens',
    description:
      'The same 401 for an unknown user, a wrong password and a user of the identity provider (no local password); 429 (`details.retryAfterMs`) after too many failures, or while the server is busy hashing passwords. 404 with `AUTH_LOCAL=false`.',
  })
  @ApiDtoBody(LoginDto)
  @ApiOkResponse({ schema: model('AuthResult') })
  @ApiErrors('BAD_REQUEST', 'UNAUTHORIZED', 'NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED')
  login(@Body() body: LoginDto, @Ip() ip: string, @Headers('user-agent') userAgent?: string): Promise<AuthResult> {
    this.requireLocal();
    return this.auth.login(body.username, body.password, ip, userAgent);
  }

  /** 200 with a new access token and a new refresh token; the one given is used up. */
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Exchange a refresh token for new tokens',
    description:
      'Each refresh token works once. Using one a second time ends its whole session (every token of that login, and its sockets get `session:expired` `{ reason: "revoked" }`): 401 `REFRESH_REUSED`. 429 after too many attempts from one address.',
  })
  @ApiDtoBody(RefreshDto)
  @ApiOkResponse({ schema: model('AuthResult') })
  @ApiErrors('BAD_REQUEST', 'UNAUTHORIZED', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED')
  refresh(@Body() body: RefreshDto, @Ip() ip: string): Promise<AuthResult> {
    return this.auth.refresh(body.refreshToken, ip);
  }

  @Post('logout')
  @HttpCode(204)
  @UseGuards(BearerAuthGuard)
  @ApiBearer()
  @ApiOperation({
    summary: 'End this session, or every session',
    description:
      'Access and refresh tokens of the ended sessions are refused from now on (REST, handshake, `session:refresh`), and their sockets get `session:expired` `{ reason: "logout" }` and are disconnected; other sessions are untouched. With an identity-provider token (which has no session here) it refuses every provider token of the user issued until now.',
  })
  @ApiDtoBody(LogoutDto)
  @ApiNoContentResponse({ description: 'Logged out' })
  @ApiErrors('BAD_REQUEST')
  async logout(@CurrentPrincipal() principal: Principal, @Body() body: LogoutDto): Promise<void> {
    await this.sessions.logout(principal, body.allSessions === true);
  }

  @Get('sessions')
  @UseGuards(BearerAuthGuard)
  @ApiBearer()
  @ApiOperation({ summary: 'Your live sessions (logins), most recently used first, at most 100' })
  @ApiOkResponse({
    schema: { type: 'object', required: ['sessions'], properties: { sessions: { type: 'array', items: model('AuthSession') } } },
  })
  async list(@CurrentPrincipal() principal: Principal): Promise<{ sessions: AuthSession[] }> {
    return { sessions: await this.sessions.list(principal) };
  }

  @Delete('sessions/:sessionId')
  @HttpCode(204)
  @UseGuards(BearerAuthGuard)
  @ApiBearer()
  @ApiParam({ name: 'sessionId', description: 'a `sessionId` from `GET /auth/sessions`' })
  @ApiOperation({
    summary: 'End one of your sessions',
    description: 'Its tokens are refused from now on; its sockets get `session:expired` `{ reason: "revoked" }` and are disconnected.',
  })
  @ApiNoContentResponse({ description: 'Ended' })
  @ApiErrors('NOT_FOUND')
  async end(@CurrentPrincipal() principal: Principal, @Param('sessionId') sessionId: string): Promise<void> {
    await this.sessions.endOne(principal, sessionId);
  }

  private requireLocal(): void {
    if (!this.config.authLocal) throw AppError.of('ROUTE_NOT_FOUND');
  }
}
