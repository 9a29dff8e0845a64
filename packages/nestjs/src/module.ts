import { ConfigurableModuleBuilder, type DynamicModule, Module } from '@nestjs/common';
import type {
  GoToAuthModuleAsyncOptions,
  GoToAuthModuleExtras,
  GoToAuthModuleOptions,
} from './options.js';
import { GoToAuthService } from './service.js';
import { GOTO_AUTH_MODULE_OPTIONS, getGoToAuthServiceToken, getGoToAuthToken } from './tokens.js';

const { ConfigurableModuleClass } = new ConfigurableModuleBuilder<GoToAuthModuleOptions>({
  optionsInjectionToken: GOTO_AUTH_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createGoToAuthOptions')
  .setExtras<GoToAuthModuleExtras>(
    { isGlobal: false, name: undefined, http: undefined },
    (definition, extras) => {
      // Each registration is its own module: the options token stays inside it, and only
      // tokens derived from `name` are exported, so named instances never clash.
      const { isGlobal, name, http } = extras;
      const serviceToken = getGoToAuthServiceToken(name);
      const authToken = getGoToAuthToken(name);
      // Made by `goToHttp()` from '@goto-auth/nestjs/http', so this entry never loads axios.
      const client = http?.({ name, authToken });
      return {
        ...definition,
        global: isGlobal,
        providers: [
          ...(definition.providers ?? []),
          {
            provide: serviceToken,
            useFactory: (options: GoToAuthModuleOptions) => new GoToAuthService(options, name),
            inject: [GOTO_AUTH_MODULE_OPTIONS],
          },
          {
            provide: authToken,
            useFactory: (service: GoToAuthService) => service.auth,
            inject: [serviceToken],
          },
          ...(client === undefined ? [] : [client]),
        ],
        exports: [serviceToken, authToken, ...(client === undefined ? [] : [client.provide])],
      };
    },
  )
  .build();

/**
 * Provides a {@link GoToAuthService} and its core `GoToAuth` object for one GoTo credential.
 * Register it once per credential (several imports of `forRoot` make several token sources,
 * and in GoToAssist Corporate each new token revokes the others).
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     GoToAuthModule.forRoot({ clientId, userId, password, isGlobal: true }),
 *     GoToAuthModule.forRoot({ name: 'billing', clientId: billingId, userId: billingUser, password: billingPassword }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({})
export class GoToAuthModule extends ConfigurableModuleClass {
  /** Registers an instance with static options. */
  static override forRoot(options: GoToAuthModuleOptions & GoToAuthModuleExtras): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: `super` keeps `this` (the module) GoToAuthModule
    return super.forRoot(options);
  }

  /**
   * Registers an instance whose options come from a factory (`useFactory` + `inject`), or a
   * class implementing `GoToAuthOptionsFactory` (`useClass` / `useExisting`). `name` and
   * `isGlobal` go beside the factory, not in its result.
   *
   * @example
   * ```ts
   * GoToAuthModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({
   *     clientId: config.getOrThrow('GOTO_CLIENT_ID'),
   *     userId: config.getOrThrow('GOTO_USER_ID'),
   *     password: config.getOrThrow('GOTO_PASSWORD'),
   *   }),
   * })
   * ```
   */
  static override forRootAsync(options: GoToAuthModuleAsyncOptions): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: `super` keeps `this` (the module) GoToAuthModule
    return super.forRootAsync(options);
  }
}
