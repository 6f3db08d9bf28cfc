import { Module, type DynamicModule } from '@nestjs/common';
import { AccessModule } from './access/access.module';
import { AuthModule } from './auth/auth.module';
import { ChatModule } from './chat/chat.module';
import { AppLoggerModule } from './common/logging/logger.module';
import { RealtimeModule } from './realtime/realtime.module';
import { AppConfigModule } from './config/config.module';
import { DocsModule } from './docs/docs.module';
import { HealthModule } from './health/health.module';
import { ModalsModule } from './modals/modals.module';
import { MetricsModule } from './metrics/metrics.module';
import { PresenceModule } from './presence/presence.module';
import { RedisModule } from './redis/redis.module';
import { SessionsModule } from './sessions/sessions.module';
import { DatabaseModule } from './storage/database.module';
import { UsersModule } from './users/users.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { ServerApiModule } from './server-api/server-api.module';

@Module({})
export class AppModule {
  /** `env` overrides the environment for this app only (tests start apps with their own settings). */
  static forRoot(env: Record<string, string | undefined> = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(env),
        AppLoggerModule,
        DatabaseModule,
        WebhooksModule,
        RealtimeModule,
        AccessModule,
        HealthModule,
        RedisModule,
        MetricsModule,
        UsersModule,
        AuthModule,
        SessionsModule,
        PresenceModule,
        ModalsModule,
        ChatModule,
        ServerApiModule,
        DocsModule,
      ],
    };
  }
}
