import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ChatModule } from '../chat/chat.module';
import { ModalsModule } from '../modals/modals.module';
import { UsersModule } from '../users/users.module';
import { ServerApiController } from './server-api.controller';
import { ServerApiService } from './server-api.service';
import { ServerKeyMiddleware } from './server-key.middleware';

/** `/server/v1/*`: the application's own backend publishes, posts, provisions and reads (README, Server API). */
@Module({
  imports: [AuthModule, ChatModule, ModalsModule, UsersModule],
  controllers: [ServerApiController],
  providers: [ServerApiService, ServerKeyMiddleware],
})
export class ServerApiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Every path under the prefix, routed or not: an unknown one is 401 without a key too.
    consumer.apply(ServerKeyMiddleware).forRoutes({ path: 'server/v1/*path', method: RequestMethod.ALL });
  }
}
