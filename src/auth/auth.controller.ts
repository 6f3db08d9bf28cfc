import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiDtoBody, ApiErrors, model } from '../common/http/openapi.decorators';
import type { AuthResult } from '../contracts';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /**
   * 201 with a token; 409 when the username is taken; 429 RATE_LIMITED over REGISTER_MAX_PER_IP
   * per hour from one address, or while the password-hashing queue is full.
   */
  @Post('register')
  @ApiOperation({
    summary: 'Create an account and get a token',
    description:
      '429 (`details.retryAfterMs`) after too many registrations from one address, or while the server is busy hashing passwords.',
  })
  @ApiDtoBody(RegisterDto)
  @ApiCreatedResponse({ schema: model('AuthResult') })
  @ApiErrors('BAD_REQUEST', 'CONFLICT', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED')
  register(@Body() body: RegisterDto, @Ip() ip: string): Promise<AuthResult> {
    return this.auth.register(body, ip);
  }

  /**
   * 200 with a token; 401 with the same message for an unknown user and a wrong password;
   * 429 RATE_LIMITED after too many failures for one username from one address, or while the
   * password-hashing queue is full.
   */
  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in and get a token',
    description:
      'The same 401 for an unknown user and a wrong password; 429 (`details.retryAfterMs`) after too many failures, or while the server is busy hashing passwords.',
  })
  @ApiDtoBody(LoginDto)
  @ApiOkResponse({ schema: model('AuthResult') })
  @ApiErrors('BAD_REQUEST', 'UNAUTHORIZED', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED')
  login(@Body() body: LoginDto, @Ip() ip: string): Promise<AuthResult> {
    return this.auth.login(body.username, body.password, ip);
  }
}
