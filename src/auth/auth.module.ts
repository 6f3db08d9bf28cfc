import { Global, Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { AccountController } from './account.controller';
import { AuthSessionsRepository } from './auth-sessions.repository';
import { AuthSessionsService } from './auth-sessions.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { BearerAuthGuard } from './bearer-auth.guard';
import { LoginThrottle } from './login-throttle';
import { ProviderTokens } from './provider-tokens';
import { RegisterThrottle } from './register-throttle';
import { TokenService } from './token.service';

/** Global so any controller can use BearerAuthGuard and any service can verify tokens. */
@Global()
@Module({
  imports: [UsersModule],
  controllers: [AuthController, AccountController],
  providers: [
    AuthService,
    AuthSessionsService,
    AuthSessionsRepository,
    TokenService,
    ProviderTokens,
    BearerAuthGuard,
    LoginThrottle,
    RegisterThrottle,
  ],
  // What a `@UseGuards(BearerAuthGuard)` in another module needs to build the guard there.
  exports: [TokenService, BearerAuthGuard, ProviderTokens, AuthSessionsRepository],
})
export class AuthModule {}
