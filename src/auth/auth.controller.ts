import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import type { AuthResult } from '../contracts';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';

@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** 201 with a token; 409 when the username is taken. */
  @Post('register')
  register(@Body() body: RegisterDto): Promise<AuthResult> {
    return this.auth.register(body);
  }

  /**
   * 200 with a token; 401 with the same message for an unknown user and a wrong password;
   * 429 RATE_LIMITED after too many failures for one username from one address.
   */
  @Post('login')
  @HttpCode(200)
  login(@Body() body: LoginDto, @Ip() ip: string): Promise<AuthResult> {
    return this.auth.login(body.username, body.password, ip);
  }
}
