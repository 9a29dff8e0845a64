import { ConfigurableModuleBuilder, type DynamicModule, Module } from '@nestjs/common';
import { routesController } from './oauth-controller.js';
import type {
  GoToOAuthModuleAsyncOptions,
  GoToOAuthModuleExtras,
  GoToOAuthModuleOptions,
  GoToOAuthRoutes,
} from './oauth-options.js';
import { GoToOAuthService } from './oauth-service.js';

/** The injection token of the core `GoToOAuth` object. */
export const GOTO_OAUTH = 'GOTO_OAUTH';

/**
 * The injection token of the module options, visible only inside the registration. Use it with
 * `overrideProvider` in tests.
 */
export const GOTO_OAUTH_MODULE_OPTIONS = 'GOTO_OAUTH_MODULE_OPTIONS';

const { ConfigurableModuleClass } = new ConfigurableModuleBuilder<GoToOAuthModuleOptions>({
  optionsInjectionToken: GOTO_OAUTH_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createGoToOAuthOptions')
  .setExtras<GoToOAuthModuleExtras>(
    { isGlobal: false, routes: undefined },
    (definition, { isGlobal, routes }) => ({
      ...definition,
      global: isGlobal,
      controllers: routes === undefined ? [] : [routesController(routes as GoToOAuthRoutes)],
      providers: [
        ...(definition.providers ?? []),
        {
          provide: GoToOAuthService,
          useFactory: (options: GoToOAuthModuleOptions) => new GoToOAuthService(options),
          inject: [GOTO_OAUTH_MODULE_OPTIONS],
        },
        {
          provide: GOTO_OAUTH,
          useFactory: (service: GoToOAuthService) => service.oauth,
          inject: [GoToOAuthService],
        },
      ],
      exports: [GoToOAuthService, GOTO_OAUTH],
    }),
  )
  .build();

/**
 * GoTo's OAuth for many users ("sign in with GoTo"): provides {@link GoToOAuthService} and the
 * core `GoToOAuth` object (`@Inject(GOTO_OAUTH)`), and, with `routes`, mounts the login and
 * callback routes ({@link GoToOAuthController}). Register it once per OAuth client.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     GoToOAuthModule.forRoot({
 *       clientId, clientSecret,
 *       redirectUri: 'https://app.example.com/auth/goto/callback',
 *       routes: {
 *         path: 'auth/goto',
 *         onSignIn: (req: Request, _res: Response, { principal }) => {
 *           req.session.principal = principal;
 *         },
 *       },
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({})
export class GoToOAuthModule extends ConfigurableModuleClass {
  /** Registers the module with static options. */
  static override forRoot<Req = unknown, Res = unknown>(
    options: GoToOAuthModuleOptions & GoToOAuthModuleExtras<Req, Res>,
  ): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: `super` keeps `this` (the module) GoToOAuthModule
    return super.forRoot(options as GoToOAuthModuleOptions & GoToOAuthModuleExtras);
  }

  /**
   * Registers the module with options from a factory (`useFactory` + `inject`), or a class
   * implementing `GoToOAuthOptionsFactory` (`useClass` / `useExisting`). `isGlobal` and
   * `routes` go beside the factory, not in its result.
   *
   * @example
   * ```ts
   * GoToOAuthModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({
   *     clientId: config.getOrThrow('GOTO_CLIENT_ID'),
   *     clientSecret: config.getOrThrow('GOTO_CLIENT_SECRET'),
   *     redirectUri: config.getOrThrow('GOTO_REDIRECT_URI'),
   *   }),
   *   routes: { path: 'auth/goto', onSignIn },
   * })
   * ```
   */
  static override forRootAsync<Req = unknown, Res = unknown>(
    options: GoToOAuthModuleAsyncOptions<Req, Res>,
  ): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: `super` keeps `this` (the module) GoToOAuthModule
    return super.forRootAsync(options as GoToOAuthModuleAsyncOptions);
  }
}
