import { Global, Inject, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { loadConfig, type AppConfig } from './app-config';

export type { AppConfig, ProviderConfig } from './app-config';

export const APP_CONFIG = Symbol('APP_CONFIG');
/** Injects the typed, validated `AppConfig`. */
export const InjectConfig = () => Inject(APP_CONFIG);

const CONFIG_KEY = 'app';

/**
 * `@nestjs/config` reads `.env` and the environment; `loadConfig` validates it into a typed
 * `AppConfig`. `overrides` lets tests start an app with its own settings without touching
 * `process.env`, which other apps in the same test process share.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(overrides: Record<string, string | undefined> = {}): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({
          cache: true,
          skipProcessEnv: true,
          validate: (env) => ({ [CONFIG_KEY]: loadConfig({ ...(env as Record<string, string>), ...overrides }) }),
        }),
      ],
      providers: [
        {
          provide: APP_CONFIG,
          inject: [ConfigService],
          useFactory: (config: ConfigService) => config.getOrThrow<AppConfig>(CONFIG_KEY),
        },
      ],
      exports: [APP_CONFIG],
    };
  }
}
